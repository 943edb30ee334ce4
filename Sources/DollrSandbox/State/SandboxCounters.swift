import DollrClient

/// What the sandbox has seen and done, for tests and chaos runs (also under `counters` in `GET /_sandbox/ledger`).
public struct SandboxCounters: Sendable, Hashable {
    /// Dollr API calls received (admin calls excluded).
    public var requests = 0
    public var tokensIssued = 0
    public var unauthorized = 0
    public var forbidden = 0
    public var validationErrors = 0
    public var rateLimited = 0
    /// Every injected 5xx, including ``serverErrorsAfterAccept``.
    public var serverErrors = 0
    /// Executes accepted and recorded, then answered 5xx (`p_5xx_after_accept`).
    public var serverErrorsAfterAccept = 0
    public var hangs = 0
    public var lostResponses = 0
    public var executionsAccepted = 0
    public var duplicateExecutes = 0

    public init() {}

    var json: JSONObject {
        [
            "requests": .integer(self.requests), "tokens_issued": .integer(self.tokensIssued),
            "unauthorized": .integer(self.unauthorized), "forbidden": .integer(self.forbidden),
            "validation_errors": .integer(self.validationErrors), "rate_limited": .integer(self.rateLimited),
            "server_errors": .integer(self.serverErrors),
            "server_errors_after_accept": .integer(self.serverErrorsAfterAccept), "hangs": .integer(self.hangs),
            "lost_responses": .integer(self.lostResponses), "executions_accepted": .integer(self.executionsAccepted),
            "duplicate_executes": .integer(self.duplicateExecutes),
        ]
    }
}
