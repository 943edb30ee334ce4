/// Owns the process's one Dollr token: hands it out, refreshes it before it runs out, and makes every concurrent
/// caller that needs a refresh wait on the same single token call.
actor TokenManager {
    /// Fetches a token; returns the token value and `expires_in` in minutes.
    typealias Fetch = @Sendable () async -> Result<(Secret<String>, minutes: Int), DollrError>

    private let fetch: Fetch
    private let now: @Sendable () -> ContinuousClock.Instant
    private let margin: Duration
    private var current: AccessToken?
    private var refresh: Task<Result<AccessToken, DollrError>, Never>?
    private var serial = 0

    init(margin: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant, fetch: @escaping Fetch) {
        self.margin = margin
        self.now = now
        self.fetch = fetch
    }

    /// A token with enough life left, refreshing first if needed.
    func token() async throws(DollrError) -> AccessToken {
        if let current, !current.needsRefresh(at: self.now(), margin: self.margin) {
            return current
        }
        return try await self.refreshed()
    }

    /// Dollr answered 401 to `token`: drop it unless someone already replaced it, then return a fresh one.
    /// Concurrent callers holding the same stale token share one refresh.
    func replace(_ stale: AccessToken) async throws(DollrError) -> AccessToken {
        if let current, current.serial != stale.serial {
            return current
        }
        self.current = nil
        return try await self.refreshed()
    }

    private func refreshed() async throws(DollrError) -> AccessToken {
        if let refresh {
            return try await refresh.value.get()
        }
        let task = Task { await self.fetchToken() }
        self.refresh = task
        let result = await task.value
        self.refresh = nil
        return try result.get()
    }

    private func fetchToken() async -> Result<AccessToken, DollrError> {
        let requestedAt = self.now()
        switch await self.fetch() {
        case .success(let (value, minutes)):
            self.serial += 1
            let token = AccessToken(
                value: value,
                obtainedAt: requestedAt,
                expiresAt: requestedAt + .seconds(minutes * 60),
                serial: self.serial
            )
            self.current = token
            return .success(token)
        case .failure(let error):
            return .failure(error)
        }
    }
}
