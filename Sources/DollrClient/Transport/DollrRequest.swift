import NIOHTTP1

/// One call as the transport sees it. The query and body may carry personal data or secrets: only ``method`` and
/// ``path`` are ever logged.
struct DollrRequest: Sendable {
    var method: HTTPMethod
    /// Path under the base URL, already safe to put in a URL (`/v1/status/payout/<uuid>`).
    var path: String
    var query: [(String, String)] = []
    var body: JSONObject?
    /// Whether the bearer token is attached (every call but the token call).
    var authenticated = true
    /// Execute is the one call that is not idempotent: a 5xx after it may have acted is an unknown outcome.
    var isIdempotent = true
    /// The path with its ids as placeholders, for span names (`/v1/status/payout/{reference_id}`).
    var route: String?

    /// `POST` here executes a payout; its 422s are read differently (see `ValidationClassifier`).
    static let executePath = "/v1/executions/payout"
}

/// A complete HTTP answer.
struct DollrResponse: Sendable {
    var status: Int
    var retryAfter: Duration?
    var body: [UInt8]
}
