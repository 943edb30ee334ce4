/// Counters describing what the client did, for metrics and for tests that must observe retries without timing.
public struct DollrClientStatistics: Sendable, Hashable {
    /// HTTP requests written, token calls and retries included.
    public var requestsSent = 0
    /// Tokens obtained from Dollr.
    public var tokenRefreshes = 0
    /// Calls retried once after a 401 and a token refresh.
    public var unauthorizedRetries = 0
    /// Calls retried after a 429.
    public var rateLimitedRetries = 0

    public init() {}
}
