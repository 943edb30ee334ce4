/// A bearer token and when it stops being valid, measured on the monotonic clock from the moment we asked for it.
struct AccessToken: Sendable {
    var value: Secret<String>
    var obtainedAt: ContinuousClock.Instant
    var expiresAt: ContinuousClock.Instant
    /// Distinguishes tokens without comparing their secret values.
    var serial: Int

    var lifetime: Duration { self.expiresAt - self.obtainedAt }

    /// Whether to fetch a new token now: less than `margin` remains, with the margin never more than half the
    /// lifetime (a token Dollr issues for 5 minutes would otherwise be refreshed on every call).
    func needsRefresh(at now: ContinuousClock.Instant, margin: Duration) -> Bool {
        let effectiveMargin = min(margin, self.lifetime / 2)
        return self.expiresAt - now < effectiveMargin
    }
}
