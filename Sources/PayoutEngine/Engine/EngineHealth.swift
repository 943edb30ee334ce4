import Synchronization

/// Merchant-level conditions the engine has seen, for readiness and flow control. A condition is
/// current until a later success clears it.
public struct EngineHealth: Sendable, Hashable {
    public var merchantNotVerified = false
    public var passcodeRejected = false
    public var credentialsRejected = false
    /// Epoch milliseconds until which Dollr asked us to hold off (429 Retry-After).
    public var rateLimitedUntil: Int64?
    /// Dollr failed to answer (5xx, timeout, connection refused) within the last few seconds
    /// (`HealthTracker.unavailableWindowMilliseconds`) and has not answered since.
    public var providerUnavailable = false

    /// Payouts cannot succeed until an operator acts.
    public var isDegraded: Bool { merchantNotVerified || passcodeRejected || credentialsRejected }
}

final class HealthTracker: Sendable {
    /// How long one failure to reach Dollr counts as "unavailable" without newer evidence. Only a
    /// Dollr call can clear the flag, and a worker with nothing in flight makes none: a sticky
    /// flag would keep such a worker's intake paused for good, its partitions starving. Past the
    /// window, intake takes commands again, and their calls refresh the flag if Dollr is still down.
    static let unavailableWindowMilliseconds: Int64 = 5_000

    private struct State {
        var health = EngineHealth()
        var lastUnavailableAt: Int64?
        /// When a Dollr call last told us anything, success or failure.
        var lastEvidenceAt: Int64?
    }

    /// Milliseconds since a Dollr call last reported; `nil` if none ever did.
    func millisecondsSinceEvidence(now: Int64) -> Int64? {
        state.withLock { state in state.lastEvidenceAt.map { now - $0 } }
    }

    private let state = Mutex(State())

    func snapshot(now: Int64) -> EngineHealth {
        state.withLock { state in
            var health = state.health
            if let at = state.lastUnavailableAt, now - at >= Self.unavailableWindowMilliseconds {
                health.providerUnavailable = false
            }
            return health
        }
    }

    func record(_ alert: EngineAlert?, now: Int64, succeeded: Bool) {
        state.withLock { state in
            state.lastEvidenceAt = now
            switch alert {
            case .merchantNotVerified?: state.health.merchantNotVerified = true
            case .passcodeRejected?: state.health.passcodeRejected = true
            case .credentialsRejected?: state.health.credentialsRejected = true
            case .rateLimited(let delay)?: state.health.rateLimitedUntil = now + delay
            case .providerUnavailable?:
                state.health.providerUnavailable = true
                state.lastUnavailableAt = now
            case nil:
                guard succeeded else { return }
                state.health.credentialsRejected = false
                state.health.providerUnavailable = false
                state.lastUnavailableAt = nil
                if let until = state.health.rateLimitedUntil, until <= now { state.health.rateLimitedUntil = nil }
            }
        }
    }

    /// A payout went through execute: the merchant, passcode and credentials are fine again.
    func recordExecuted() {
        state.withLock {
            $0.health.merchantNotVerified = false
            $0.health.passcodeRejected = false
            $0.health.credentialsRejected = false
        }
    }
}
