import DollrClient
import Hummingbird

extension DollrAPIRoutes {
    /// `POST /v1/sessions/payout`: `payout_account_id` integer, `amount` number >= 0.01, `currency` `^[A-Z]{3}$`.
    func createSession(_ request: Request) async throws -> Response {
        let body: JSONObject
        switch try await RequestBodyReader.object(request) {
        case .success(let object): body = object
        case .failure(let error): return SandboxResponse.validation(error.issues)
        }
        var fields = FieldValidator(body, loc: ["body"])
        let accountID = fields.integer("payout_account_id")
        let amountLiteral = fields.number("amount")
        var currency: CurrencyCode?
        if let code = fields.string("currency") {
            do {
                currency = try CurrencyCode(code)
            } catch {
                fields.fail("currency", "String should match pattern '^[A-Z]{3}$'", "string_pattern_mismatch")
            }
        }
        var amount: Money?
        if let amountLiteral {
            amount = Self.amount(amountLiteral, currency: currency ?? .usd, fields: &fields)
        }
        guard fields.issues.isEmpty, let accountID, let amount, currency != nil else {
            return SandboxResponse.validation(fields.issues, body: body)
        }
        let now = self.sandbox.clock.now()
        switch self.sandbox.ledger.createSession(
            accountID: accountID,
            amount: amount,
            lifetime: self.sandbox.configuration.sessionLifetime,
            now: now
        ) {
        case .success(let session):
            return SandboxResponse.json(201, self.sandbox.render(session, now: now))
        case .failure(let error):
            return SandboxResponse.validation(error.issues, body: body)
        }
    }

    /// The exact amount, or an issue: below 0.01, more fraction digits than the currency has, or absurdly large.
    static func amount(_ literal: String, currency: CurrencyCode, fields: inout FieldValidator) -> Money? {
        guard let plain = DecimalText.plain(fromJSONNumber: literal) else {
            fields.fail("amount", "Input should be a valid number", "float_type")
            return nil
        }
        let minimum = "Input should be greater than or equal to 0.01"
        do {
            let amount = try Money(parsing: plain, currency: currency)
            // 0.01 in minor units: 1 for two digits, 10 for three, and 1 (a whole unit) for zero-digit currencies.
            let minimumMinor: Int64 = currency.minorDigits >= 2 ? Int64(pow10(currency.minorDigits - 2)) : 1
            guard amount.minorUnits >= minimumMinor else {
                fields.fail("amount", minimum, "greater_than_equal")
                return nil
            }
            return amount
        } catch .negative {
            fields.fail("amount", minimum, "greater_than_equal")
        } catch .tooManyFractionDigits(_, let allowed) {
            fields.fail(
                "amount",
                "Decimal input should have no more than \(allowed) decimal places",
                "decimal_max_places"
            )
        } catch .overflow {
            fields.fail("amount", "Input should be less than or equal to 1000000000000", "less_than_equal")
        } catch {
            fields.fail("amount", "Input should be a valid number", "float_type")
        }
        return nil
    }
}

private func pow10(_ exponent: Int) -> Int {
    (0..<exponent).reduce(1) { value, _ in value * 10 }
}
