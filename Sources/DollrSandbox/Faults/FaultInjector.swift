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
                let statuses = [500, 502, 503]
                return (latency, .serverError(status: statuses[Int(state.generator.next() % 3)]))
            }
            if state.generator.chance(settings.pHang) {
                return (latency, .hang(.milliseconds(settings.hangMs)))
            }
            return (latency, .proceed)
        }
    }

    /// For an accepted execution: its timings, whether the provider will fail it, and whether its response is lost
    /// (and for how long the sandbox sits on it).
    func executionFate() -> (pending: Duration, processing: Duration, providerFails: Bool, lostResponse: Duration?) {
        self.state.withLock { state in
            let settings = state.settings
            let providerFails = state.generator.chance(settings.pProviderFailed)
            let lost = state.generator.chance(settings.pLostResponse)
            return (
                .milliseconds(settings.pendingMs), .milliseconds(settings.processingMs), providerFails,
                lost ? .milliseconds(settings.hangMs) : nil
            )
        }
    }
}

/// A list of FastAPI-style issues, as an error.
struct ValidationIssues: Error, Sendable {
    var issues: [ValidationIssue]
}
