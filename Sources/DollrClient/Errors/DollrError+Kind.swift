extension DollrError {
    /// The error's kind as a short, stable label, for metrics and spans: `rate_limited`,
    /// `server_error`, `connection_failed`, ... Never carries the error's detail.
    public var kind: String {
        switch self {
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .validation: "validation"
        case .duplicateReference: "duplicate"
        case .sessionExpired: "session_expired"
        case .passcodeRejected: "passcode_rejected"
        case .notFound: "not_found"
        case .rateLimited: "rate_limited"
        case .server: "server_error"
        case .outcomeUnknown: "unknown"
        case .connectionFailed: "connection_failed"
        case .invalidResponse, .unexpectedStatus: "invalid_response"
        case .cancelled: "cancelled"
        }
    }
}
