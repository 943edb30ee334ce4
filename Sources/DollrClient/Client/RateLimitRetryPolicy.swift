/// How the client answers a 429. A 429 means Dollr did not process the request, so retrying is safe for every call,
/// execute included.
public struct RateLimitRetryPolicy: Sendable, Hashable {
    /// Retries after the first 429 before giving up with ``DollrError/rateLimited(retryAfter:)``.
    public var maxRetries: Int
    /// Wait used when `Retry-After` is missing or unreadable; doubled on each further retry.
    public var baseDelay: Duration
    /// Upper bound on any single wait, however large `Retry-After` is.
    public var maxDelay: Duration

    public init(maxRetries: Int = 3, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30)) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Wait before retry number `attempt` (1-based): `Retry-After` when Dollr sent one, else exponential back-off;
    /// capped at ``maxDelay`` either way.
    func delay(retryAfter: Duration?, attempt: Int) -> Duration {
        var backOff = self.baseDelay
        for _ in 1..<max(attempt, 1) where backOff < self.maxDelay { backOff *= 2 }
        return min(retryAfter ?? backOff, self.maxDelay)
    }
}
