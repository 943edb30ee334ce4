import DollrClient
import Hummingbird

extension DollrAPIRoutes {
    /// `GET /v1/predictions/amount-and-fees`. Priced with the same ``FeeSchedule`` as the debit. No FX in the
    /// sandbox: base and target currency must agree. `fx_fee` and the gateway fee are `null`.
    func predictAmountAndFees(_ request: Request) -> Response {
        let parameters = request.uri.queryParameters
        var query = FieldValidator(
            JSONObject(queryParameters: parameters.map { (String($0.key), String($0.value)) }),
            loc: ["query"]
        )
        let amountText = query.string("base_amount")
        let baseCurrency = query.string("base_currency").flatMap { Self.currency($0, "base_currency", &query) }
        let targetCurrency = query.string("target_currency").flatMap { Self.currency($0, "target_currency", &query) }
        _ = query.choice("payment_method", PaymentMethod.documented.map(\.rawValue))
        _ = query.choice("operation_type", [OperationType.payout.rawValue])
        _ = query.choice("provider", PaymentProvider.documented.map(\.rawValue))
        let bearer = query.choice("fee_bearer", [FeeBearer.payer.rawValue, FeeBearer.payee.rawValue])
        var amount: Money?
        if let amountText, let baseCurrency {
            do {
                amount = try Money(parsing: amountText, currency: baseCurrency)
            } catch {
                query.fail("base_amount", "Value error, \(error.description)", "value_error")
            }
        }
        if let baseCurrency, let targetCurrency, baseCurrency != targetCurrency {
            query.fail(
                "target_currency",
                "Currency conversion is not available in the sandbox",
                "value_error.unsupported"
            )
        }
        guard query.issues.isEmpty, let amount, let bearer else { return SandboxResponse.validation(query.issues) }
        let fee = self.sandbox.configuration.fees.fee(for: amount)
        let payerAmount: Money
        let payeeAmount: Money
        if bearer == FeeBearer.payer.rawValue {
            payerAmount = amount + fee
            payeeAmount = amount
        } else {
            guard amount > fee else {
                query.fail("base_amount", "Amount does not cover the fees", "value_error")
                return SandboxResponse.validation(query.issues)
            }
            payerAmount = amount
            payeeAmount = amount - fee
        }
        let code = JSONValue.string(amount.currency.code)
        return SandboxResponse.json(
            200,
            [
                "payer_amount": .string(payerAmount.description), "payer_currency": code,
                "payee_amount": .string(payeeAmount.description), "payee_currency": code,
                "platform_fee": .string(fee.description), "platform_currency": code, "fx_fee": .null,
                "gateway_fee": .null, "gateway_currency": .null,
            ]
        )
    }

    /// `GET /v1/predictions/mmo-provider-info?phone&operation_type=PAYOUT`; 404 for a number no operator serves.
    func lookupProvider(_ request: Request) -> Response {
        let parameters = request.uri.queryParameters
        var query = FieldValidator(
            JSONObject(queryParameters: parameters.map { (String($0.key), String($0.value)) }),
            loc: ["query"]
        )
        var phone: PhoneNumber?
        if let text = query.string("phone") {
            do {
                phone = try PhoneNumber(text)
            } catch {
                query.fail("phone", "Value error, \(error.description)", "value_error")
            }
        }
        _ = query.choice("operation_type", [OperationType.payout.rawValue])
        guard query.issues.isEmpty, let phone else { return SandboxResponse.validation(query.issues) }
        guard let entry = ProviderDirectory.lookup(phone) else {
            return SandboxResponse.detail(404, "No mobile money provider found for this phone number")
        }
        return SandboxResponse.json(
            200,
            [
                "carrier": .string(entry.carrier), "country": .string(entry.country),
                "currencies": .array(entry.currencies.map { .string($0) }), "phone": .string(phone.revealed),
                "payment_method": .string(entry.method.rawValue), "gateway_provider": .string(entry.gateway.rawValue),
                "operation_type": .string(OperationType.payout.rawValue),
            ]
        )
    }

    private static func currency(_ code: String, _ key: String, _ query: inout FieldValidator) -> CurrencyCode? {
        do {
            return try CurrencyCode(code)
        } catch {
            query.fail(key, "String should match pattern '^[A-Z]{3}$'", "string_pattern_mismatch")
            return nil
        }
    }
}

extension JSONObject {
    /// Query parameters as string members, so that the body validator can check them too.
    init(queryParameters: [(String, String)]) {
        self.init()
        for (key, value) in queryParameters { self[key] = .string(value) }
    }
}
