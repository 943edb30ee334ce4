import Synchronization

/// Merchant-level conditions the engine has seen, for readiness and flow control. A condition is
/// current until a later success clears it.
public struct EngineHealth: Sendable, Hashable {
    public var merchantNotVerified = false
    public var passcodeRejected = false
    public var credentialsRejected = false
    /// Epoch milliseconds until which Dollr asked us to hold off (429 Retry-After).
    public var rateLimitedUntil: Int64?
    public var providerUnavailable = false

    /// Payouts cannot succeed until an operator acts.
    public var isDegraded: Bool { merchantNotVerified || passcodeRejected || credentialsRejected }
}

final class HealthTracker: Sendable {
    private let state = Mutex(EngineHealth())

    var snapshot: EngineHealth { state.withLock { $0 } }

    func record(_ alert: EngineAlert?, now: Int64, succeeded: Bool) {
        state.withLock { health in
            switch alert {
            case .merchantNotVerified?: health.merchantNotVerified = true
            case .passcodeRejected?: health.passcodeRejected = true
            case .credentialsRejected?: health.credentialsRejected = true
            case .rateLimited(let delay)?: health.rateLimitedUntil = now + delay
            case .providerUnavailable?: health.providerUnavailable = true
            case nil:
                guard succeeded else { return }
                health.credentialsRejected = false
                health.providerUnavailable = false
                if let until = health.rateLimitedUntil, until <= now { health.rateLimitedUntil = nil }
            }
        }
    }

    /// A payout went through execute: the merchant, passcode and credentials are fine again.
    func recordExecuted() {
        state.withLock {
            $0.merchantNotVerified = false
            $0.passcodeRejected = false
            $0.credentialsRejected = false
        }
    }
}
