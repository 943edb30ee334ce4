/// What `/readyz` answers: each named check (`kafka`, `store`, `dollr`, `merchant`, ...) and its state.
///
/// Ready means every check is `.ok`. A `.degraded` check makes the process not ready too, but is reported as
/// `degraded` rather than `not_ready` so an operator can tell "fix the merchant account" from "a dependency is down".
public struct ReadinessReport: Sendable, Hashable {
    public var checks: [String: CheckResult]

    public init(checks: [String: CheckResult]) {
        self.checks = checks
    }

    /// Overall state, worst check first.
    public enum Status: String, Sendable, Hashable {
        case ready
        case degraded
        case notReady = "not_ready"
    }

    public var status: Status {
        var status = Status.ready
        for result in self.checks.values {
            switch result {
            case .ok: continue
            case .degraded: status = .degraded
            case .failing: return .notReady
            }
        }
        return status
    }

    /// True only when every check is `.ok` (an empty report is ready: nothing is failing).
    public var isReady: Bool { self.status == .ready }
}
