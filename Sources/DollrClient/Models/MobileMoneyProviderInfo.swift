/// Which mobile money operator serves a phone number (`GET /v1/predictions/mmo-provider-info`).
public struct MobileMoneyProviderInfo: Sendable, Hashable {
    public let carrier: String
    public let country: String
    public let currencies: [CurrencyCode]
    public let phone: PhoneNumber
    public let paymentMethod: PaymentMethod
    public let gatewayProvider: PaymentProvider
    public let operationType: OperationType

    package init(json object: JSONObject) throws(JSONShapeError) {
        self.carrier = try object.string("carrier")
        self.country = try object.string("country")
        var currencies: [CurrencyCode] = []
        for value in try object.array("currencies") {
            guard case .string(let code) = value else {
                throw JSONShapeError(field: "currencies", expected: "an array of currency codes")
            }
            currencies.append(try object.currency(code, field: "currencies"))
        }
        self.currencies = currencies
        let phone = try object.string("phone")
        do {
            self.phone = try PhoneNumber(phone)
        } catch {
            throw JSONShapeError(field: "phone", expected: "an MSISDN")
        }
        self.paymentMethod = PaymentMethod(rawValue: try object.string("payment_method"))
        self.gatewayProvider = PaymentProvider(rawValue: try object.string("gateway_provider"))
        self.operationType = OperationType(rawValue: try object.string("operation_type"))
    }
}
