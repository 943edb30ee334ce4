/// The query of `GET /v1/predictions/amount-and-fees` (operation type is always PAYOUT).
public struct AmountAndFeesQuery: Sendable, Hashable {
    /// Amount and base currency.
    public var baseAmount: Money
    public var targetCurrency: CurrencyCode
    public var paymentMethod: PaymentMethod
    public var provider: PaymentProvider
    public var feeBearer: FeeBearer

    public init(
        baseAmount: Money,
        targetCurrency: CurrencyCode,
        paymentMethod: PaymentMethod,
        provider: PaymentProvider,
        feeBearer: FeeBearer = .payer
    ) {
        self.baseAmount = baseAmount
        self.targetCurrency = targetCurrency
        self.paymentMethod = paymentMethod
        self.provider = provider
        self.feeBearer = feeBearer
    }

    var queryItems: [(String, String)] {
        [
            ("base_amount", self.baseAmount.description), ("base_currency", self.baseAmount.currency.code),
            ("target_currency", self.targetCurrency.code), ("payment_method", self.paymentMethod.rawValue),
            ("operation_type", OperationType.payout.rawValue), ("provider", self.provider.rawValue),
            ("fee_bearer", self.feeBearer.rawValue),
        ]
    }
}

/// Dollr's prediction of what a payout will cost and deliver. Amounts arrive as strings and are decoded exactly.
public struct AmountAndFeesPrediction: Sendable, Hashable {
    public let payerAmount: Money
    public let payeeAmount: Money
    public let platformFee: Money
    /// Currency undocumented; we read it in the payer currency.
    public let fxFee: Money?
    public let gatewayFee: Money?

    package init(json object: JSONObject) throws(JSONShapeError) {
        self.payerAmount = try object.money(amount: "payer_amount", currency: "payer_currency")
        self.payeeAmount = try object.money(amount: "payee_amount", currency: "payee_currency")
        self.platformFee = try object.money(amount: "platform_fee", currency: "platform_currency")
        self.fxFee = try object.optionalMoney(amount: "fx_fee", currency: self.payerAmount.currency)
        self.gatewayFee = try object.optionalMoney(amount: "gateway_fee", currency: "gateway_currency")
    }
}
