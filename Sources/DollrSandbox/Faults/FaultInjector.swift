import DollrClient
import Synchronization

/// Decides, call by call, which fault (if any) strikes. Holds the settings and the seeded generator under one lock.
final class FaultInjector: Sendable {
    /// What happens to a Dollr API call before it is processed.
    enum Decision: Sendable, Equatable {
        case proceed
        case rateLimited(retryAfterSeconds: Int)
        case serverError(status: Int)
        case hang(Duration)
    }

    private struct State {
        var settings: FaultSettings
        var generator: SplitMix64
    }

    private let state: Mutex<State>

    init(settings: FaultSettings, seed: UInt64) {
        self.state = Mutex(State(settings: settings, generator: SplitMix64(seed: seed)))
    }

    var settings: FaultSettings {
        self.state.withLock { $0.settings }
    }

    func update(_ change: (inout FaultSettings) -> [ValidationIssue]) -> Result<FaultSettings, ValidationIssues> {
        self.state.withLock { state in
            let issues = change(&state.settings)
            return issues.isEmpty ? .success(state.settings) : .failure(ValidationIssues(issues: issues))
        }
    }

    /// Latency to add and the fault for one call, drawn together.
    func decide() -> (latency: Duration, decision: Decision) {
        self.state.withLock { state in
            let settings = state.settings
            let latency = Duration.milliseconds(settings.latencyMs)
            if settings.next429 > 0 {
                state.settings.next429 -= 1
                return (latency, .rateLimited(retryAfterSeconds: settings.retryAfterSeconds))
            }
            if state.generator.chance(settings.p429) {
                return (latency, .rateLimited(retryAfterSeconds: settings.retryAfterSeconds))
            }
            if state.generator.chance(settings.p5xx) {
                return (latency, .serverError(status: Self.serverErrorStatus(&state.generator)))
            }
            if state.generator.chance(settings.pHang) {
                return (latency, .hang(.milliseconds(settings.hangMs)))
            }
            return (latency, .proceed)
        }
    }

    /// Whether this authenticated call is refused by ``FaultSettings/next401``; uses one up if so.
    func takeForcedUnauthorized() -> Bool {
        self.state.withLock { state in
            guard state.settings.next401 > 0 else { return false }
            state.settings.next401 -= 1
            return true
        }
    }

    /// What becomes of an execution if the ledger accepts it.
    struct ExecutionFate: Sendable {
        var pending: Duration
        var processing: Duration
        /// Settles FAILED at the provider.
        var providerFails: Bool
        /// The response is lost: the sandbox sits on it this long, then drops the connection.
        var lostResponse: Duration?
        /// The response is replaced by this 5xx status (never together with a lost response).
        var serverErrorAfterAccept: Int?
    }

    /// For an accepted execution: its timings, whether the provider will fail it, and whether its response is lost
    /// (and for how long the sandbox sits on it) or replaced by a 5xx.
    func executionFate() -> ExecutionFate {
        self.state.withLock { state in
            let settings = state.settings
            let providerFails = state.generator.chance(settings.pProviderFailed)
            let lost = state.generator.chance(settings.pLostResponse)
            // Not with a lost response: an execute answers one way or the other, never both.
            var serverError: Int?
            if !lost, state.generator.chance(settings.p5xxAfterAccept) {
                serverError = Self.serverErrorStatus(&state.generator)
            }
            return ExecutionFate(
                pending: .milliseconds(settings.pendingMs),
                processing: .milliseconds(settings.processingMs),
                providerFails: providerFails,
                lostResponse: lost ? .milliseconds(settings.hangMs) : nil,
                serverErrorAfterAccept: serverError
            )
        }
    }

    private static let serverErrorStatuses = [500, 502, 503]

    private static func serverErrorStatus(_ generator: inout SplitMix64) -> Int {
        serverErrorStatuses[generator.next(below: serverErrorStatuses.count)]
    }
}

/// A list of FastAPI-style issues, as an error.
struct ValidationIssues: Error, Sendable {
    var issues: [ValidationIssue]
}
