import DollrClient

/// What can go wrong, and how long things take. Changed at start (config) and at run time
/// (`PATCH /_sandbox/faults`); probabilities are in 0...1 and drawn from the sandbox's seeded generator.
public struct FaultSettings: Sendable, Hashable {
    /// Added to every Dollr API call.
    public var latencyMs = 0
    /// How long an accepted execution stays PENDING.
    public var pendingMs = 500
    /// How long it then stays PROCESSING before it settles COMPLETED or FAILED.
    public var processingMs = 2000
    /// Chance of a 429 with `Retry-After`, without processing.
    public var p429 = 0.0
    /// Chance of a 500/502/503, without processing (``p5xxAfterAccept`` is the kind that did process).
    public var p5xx = 0.0
    /// Chance that an execute is processed, accepted and recorded, and then answered 500/502/503 all the same.
    /// This is the harsh half of "after a 5xx the outcome is unknown": with ``p5xx`` alone an execute 5xx never
    /// lands, so a worker that answers a 5xx by executing again under a new `reference_id` would pay twice
    /// without any test noticing. Applies to execute only, and only to calls the ledger accepted.
    public var p5xxAfterAccept = 0.0
    /// Chance that the call hangs for ``hangMs`` and then answers 504, without processing.
    public var pHang = 0.0
    /// Chance that an execute is accepted and recorded but its response is lost: the sandbox waits ``hangMs`` and
    /// then drops the connection after the status line.
    public var pLostResponse = 0.0
    /// Chance that an accepted execution ends FAILED at the provider (with a `gateway_message`).
    public var pProviderFailed = 0.0
    /// How long a hang or a lost response lasts. The default, 60 s, is twice the client's default request timeout
    /// (30 s, in `DollrConfiguration` and the worker's `dollr.request_timeout_ms`): a hang must outlast the client,
    /// or the client gets the closing 504 (a server error) and the timeout path goes untested. Equal to the timeout,
    /// the outcome would be a race. Raise it with the client's timeout.
    public var hangMs = 60_000
    /// The `Retry-After` seconds sent with a 429.
    public var retryAfterSeconds = 1
    /// The next N Dollr API calls get a 429 whatever ``p429`` says: deterministic rate limiting for tests.
    public var next429 = 0
    /// The next N authenticated Dollr API calls get the documented 401 whatever their token: a token Dollr refuses
    /// although it has not expired. Tokens stay valid, so this is how a test shows that a second 401, after the
    /// client's one refresh and one retry, ends the call instead of looping.
    public var next401 = 0

    public init() {}
}

extension FaultSettings {
    /// Applies a JSON patch (any subset of the fields) or returns the FastAPI-style issues; fields are in snake case
    /// as listed in ``jsonFieldNames``.
    mutating func apply(_ patch: JSONObject, loc: [String] = ["body"]) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        var updated = self
        for member in patch.members {
            let fieldLoc = loc + [member.key]
            if let keyPath = Self.integerFields[member.key] {
                guard case .number(let literal) = member.value, let value = Int(literal), value >= 0 else {
                    issues.append(
                        ValidationIssue(loc: fieldLoc, msg: "Input should be a non-negative integer", type: "int_type")
                    )
                    continue
                }
                updated[keyPath: keyPath] = value
            } else if let keyPath = Self.probabilityFields[member.key] {
                guard case .number(let literal) = member.value, let value = Double(literal), (0...1).contains(value)
                else {
                    issues.append(
                        ValidationIssue(
                            loc: fieldLoc,
                            msg: "Input should be a number between 0 and 1",
                            type: "float_type"
                        )
                    )
                    continue
                }
                updated[keyPath: keyPath] = value
            } else {
                issues.append(
                    ValidationIssue(loc: fieldLoc, msg: "Extra inputs are not permitted", type: "extra_forbidden")
                )
            }
        }
        if issues.isEmpty { self = updated }
        return issues
    }

    /// The whole setting, as `GET`/`PATCH /_sandbox/faults` return it.
    var json: JSONObject {
        var object = JSONObject()
        for name in Self.jsonFieldNames {
            if let keyPath = Self.integerFields[name] {
                object[name] = .integer(self[keyPath: keyPath])
            } else if let keyPath = Self.probabilityFields[name] {
                let value = self[keyPath: keyPath]
                object[name] = .number(value == value.rounded() ? String(Int(value)) : String(value))
            }
        }
        return object
    }

    static let jsonFieldNames = [
        "latency_ms", "pending_ms", "processing_ms", "p_429", "p_5xx", "p_5xx_after_accept", "p_hang",
        "p_lost_response", "p_provider_failed", "hang_ms", "retry_after_s", "next_429", "next_401",
    ]

    private static var integerFields: [String: WritableKeyPath<FaultSettings, Int>] {
        [
            "latency_ms": \.latencyMs, "pending_ms": \.pendingMs, "processing_ms": \.processingMs, "hang_ms": \.hangMs,
            "retry_after_s": \.retryAfterSeconds, "next_429": \.next429, "next_401": \.next401,
        ]
    }

    private static var probabilityFields: [String: WritableKeyPath<FaultSettings, Double>] {
        [
            "p_429": \.p429, "p_5xx": \.p5xx, "p_5xx_after_accept": \.p5xxAfterAccept, "p_hang": \.pHang,
            "p_lost_response": \.pLostResponse,
            "p_provider_failed": \.pProviderFailed,
        ]
    }
}
