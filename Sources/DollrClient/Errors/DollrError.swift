/// Every way a Dollr call can fail, typed so that the payout engine can decide without matching strings.
///
/// Descriptions are actionable and never contain a secret, a token or a phone number.
public enum DollrError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 401 even after one token refresh and one retry, or the token call itself refused our credentials.
    case unauthorized
    /// 403: merchant not fully verified, feature gated, or sandbox/production credentials mixed. Not retryable.
    case forbidden(detail: String)
    /// 422 that is none of the specific causes below.
    case validation([ValidationIssue])
    /// 422: the `reference_id` was already executed. The first execute landed; poll its status.
    case duplicateReference
    /// 422: the session is expired, used or unknown. Create a new session.
    case sessionExpired
    /// 422 located under the passcode's `token`: the merchant passcode (or its phone or user id) was refused.
    /// Other errors in the passcode object (the device fields) are ``validation(_:)``.
    case passcodeRejected
    /// 404: unknown id. On the status call: that execution never landed.
    case notFound
    /// 429 still after the configured retries; the request was not processed.
    case rateLimited(retryAfter: Duration)
    /// 5xx on a call that is safe to repeat (everything but execute): retry with back-off.
    case server(status: Int)
    /// The request may have been acted on. For execute: poll the status of the same reference before anything else.
    case outcomeUnknown(UnknownOutcomeReason)
    /// No connection could be established, so nothing was sent; safe to retry.
    case connectionFailed(String)
    /// A 2xx whose body is not what Dollr documents.
    case invalidResponse(String)
    /// Any other HTTP status.
    case unexpectedStatus(Int)
    /// The caller was cancelled before the request was sent.
    case cancelled

    public var description: String {
        switch self {
        case .unauthorized: "Dollr rejected the credentials (401); check DOLLR_CLIENT_ID / DOLLR_CLIENT_SECRET"
        case .forbidden(let detail): "Dollr refused the merchant (403): \(detail)"
        case .validation(let issues):
            "Dollr rejected the request (422): \(issues.map(\.description).joined(separator: "; "))"
        case .duplicateReference: "Dollr already has an execution with this reference_id (422 duplicate)"
        case .sessionExpired: "the payout session expired or is unknown (422); create a new session"
        case .passcodeRejected: "Dollr rejected the merchant passcode (422); check MERCHANT_PASSCODE(_PHONE)"
        case .notFound: "not found at Dollr (404)"
        case .rateLimited(let retryAfter): "rate limited by Dollr (429); retry after \(retryAfter)"
        case .server(let status): "Dollr server error (HTTP \(status)); safe to retry with back-off"
        case .outcomeUnknown(let reason): "outcome unknown (\(reason)); poll the status before retrying"
        case .connectionFailed(let detail): "could not connect to Dollr (\(detail)); nothing was sent"
        case .invalidResponse(let reason): "unexpected response from Dollr: \(reason)"
        case .unexpectedStatus(let status): "unexpected HTTP status \(status) from Dollr"
        case .cancelled: "cancelled before the request was sent"
        }
    }
}
