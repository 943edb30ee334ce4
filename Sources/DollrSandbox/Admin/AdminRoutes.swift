import DollrClient
import Hummingbird

/// The admin API under `/_sandbox/` (not part of Dollr's API; never subject to faults):
///
/// | call | body | answer |
/// |---|---|---|
/// | `PUT /_sandbox/wallets/{currency}` | `{"balance":"1000.00"}` | the wallet `{"id","currency","balance"}` |
/// | `GET /_sandbox/faults` | | the fault settings |
/// | `PATCH /_sandbox/faults` | any subset of the fault settings | the whole current setting |
/// | `GET /_sandbox/ledger` | | `{"wallets":[...],"executions":[...],"counters":{...}}` |
/// | `POST /_sandbox/tokens/expire` | | `{"expired":N}`: every issued token now gets 401 |
/// | `PATCH /_sandbox/merchant` | `{"merchant_verified":false}` | `{"merchant_verified":...}` |
/// | `POST /_sandbox/clock/advance` | `{"ms":60000}` | `{"advanced_ms":...}`: expiry and settlement move on |
/// | `POST /_sandbox/pause`, `POST /_sandbox/resume` | | `{"paused":...}`: API calls are held until resumed |
struct AdminRoutes: Sendable {
    let sandbox: Sandbox

    func register(on routes: RouteTable) {
        routes.put("/_sandbox/wallets/:currency") { request, context in
            try await self.setWallet(request, currency: context.parameters.get("currency") ?? "")
        }
        routes.get("/_sandbox/faults") { _, _ in
            SandboxResponse.json(200, self.sandbox.faultSettings.json)
        }
        routes.patch("/_sandbox/faults") { request, _ in
            try await self.withBody(request) { body in
                switch self.sandbox.faults.update({ $0.apply(body) }) {
                case .success(let settings):
                    self.sandbox.logger.info(
                        "sandbox faults changed",
                        metadata: ["faults": "\(JSONWriter.serialize(settings.json))"]
                    )
                    return SandboxResponse.json(200, settings.json)
                case .failure(let error):
                    return SandboxResponse.validation(error.issues)
                }
            }
        }
        routes.get("/_sandbox/ledger") { _, _ in
            let ledger = self.sandbox.ledgerSnapshot()
            return SandboxResponse.json(
                200,
                [
                    "wallets": .array(ledger.wallets.map { .object($0.json) }),
                    "executions": .array(ledger.executions.map { .object($0.json) }),
                    "counters": .object(self.sandbox.counters.json),
                ]
            )
        }
        routes.post("/_sandbox/tokens/expire") { _, _ in
            SandboxResponse.json(200, ["expired": .integer(self.sandbox.expireAllTokens())])
        }
        routes.patch("/_sandbox/merchant") { request, _ in
            try await self.withBody(request) { body in
                guard case .bool(let verified)? = body["merchant_verified"] else {
                    return SandboxResponse.validation([
                        ValidationIssue(
                            loc: ["body", "merchant_verified"],
                            msg: "Input should be a valid boolean",
                            type: "bool_type"
                        )
                    ])
                }
                self.sandbox.merchantVerified = verified
                return SandboxResponse.json(200, ["merchant_verified": .bool(verified)])
            }
        }
        routes.post("/_sandbox/pause") { _, _ in
            self.sandbox.pause()
            return SandboxResponse.json(200, ["paused": .bool(true)])
        }
        routes.post("/_sandbox/resume") { _, _ in
            self.sandbox.resume()
            return SandboxResponse.json(200, ["paused": .bool(false)])
        }
        routes.post("/_sandbox/clock/advance") { request, _ in
            try await self.withBody(request) { body in
                guard case .number(let literal)? = body["ms"], let milliseconds = Int(literal), milliseconds >= 0 else {
                    return SandboxResponse.validation([
                        ValidationIssue(
                            loc: ["body", "ms"],
                            msg: "Input should be a non-negative integer",
                            type: "int_type"
                        )
                    ])
                }
                self.sandbox.advanceClock(by: .milliseconds(milliseconds))
                return SandboxResponse.json(200, ["advanced_ms": .integer(milliseconds)])
            }
        }
    }

    private func setWallet(_ request: Request, currency code: String) async throws -> Response {
        try await self.withBody(request) { body in
            var fields = FieldValidator(body, loc: ["body"])
            let currency = try? CurrencyCode(code)
            if currency == nil {
                fields.fail(nil, "String should match pattern '^[A-Z]{3}$'", "string_pattern_mismatch")
            }
            var balance: Money?
            switch body["balance"] {
            case .string(let text)?, .number(let text)?:
                if let currency {
                    do {
                        balance = try Money(
                            parsing: DecimalText.plain(fromJSONNumber: text) ?? text,
                            currency: currency
                        )
                    } catch {
                        fields.fail("balance", "Value error, \(error)", "value_error")
                    }
                }
            default:
                fields.fail("balance", "Input should be a decimal string", "decimal_type")
            }
            guard fields.issues.isEmpty, let balance else {
                return SandboxResponse.validation(
                    fields.issues.map { issue in
                        issue.loc == ["body"]
                            ? ValidationIssue(loc: ["path", "currency"], msg: issue.msg, type: issue.type) : issue
                    }
                )
            }
            return SandboxResponse.json(200, self.sandbox.setWalletBalance(balance).json)
        }
    }

    private func withBody(_ request: Request, _ handler: (JSONObject) throws -> Response) async throws -> Response {
        switch try await RequestBodyReader.object(request) {
        case .success(let body): return try handler(body)
        case .failure(let error): return SandboxResponse.validation(error.issues)
        }
    }
}
