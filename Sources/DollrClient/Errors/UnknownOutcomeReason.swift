/// Why a request may or may not have taken effect at Dollr.
public enum UnknownOutcomeReason: Sendable, Hashable, CustomStringConvertible {
    /// No complete response within the request timeout.
    case timeout
    /// The connection broke after the request may have been written.
    case connectionLost(String)
    /// A 5xx answer to a call that is not idempotent (execute): Dollr may have acted before failing.
    case serverError(status: Int)
    /// The caller cancelled while the request was in flight.
    case cancelled

    public var description: String {
        switch self {
        case .timeout: "timed out"
        case .connectionLost(let detail): "connection lost (\(detail))"
        case .serverError(let status): "HTTP \(status)"
        case .cancelled: "cancelled in flight"
        }
    }
}
