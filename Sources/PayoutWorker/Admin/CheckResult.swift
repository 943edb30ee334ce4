/// The state of one readiness check.
public enum CheckResult: Sendable, Hashable {
    /// Working.
    case ok
    /// The process works but payouts cannot succeed until an operator acts (merchant not verified, passcode or
    /// credentials rejected). Not ready: a load balancer or an operator should see it, but restarting will not help.
    case degraded(String)
    /// A dependency is unreachable or broken (Kafka not joined, store down, Dollr unreachable).
    case failing(String)

    /// `ok`, `degraded` or `failing`: the `status` of the check in `/readyz`.
    public var status: String {
        switch self {
        case .ok: "ok"
        case .degraded: "degraded"
        case .failing: "failing"
        }
    }

    /// Why the check is not ok; `nil` when it is.
    public var message: String? {
        switch self {
        case .ok: nil
        case .degraded(let message), .failing(let message): message
        }
    }
}
