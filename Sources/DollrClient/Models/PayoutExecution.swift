public import struct Foundation.UUID

/// What `POST /v1/executions/payout` needs besides the passcode, which comes from configuration.
public struct ExecutePayoutRequest: Sendable, Hashable {
    /// Sent as a string.
    public var sessionID: String
    /// Sent as a string (it is an integer on the session call).
    public var payoutAccountID: Int
    /// The idempotency key: persist it before calling execute, reuse it to poll after an unknown outcome.
    public var referenceID: UUID

    public init(sessionID: String, payoutAccountID: Int, referenceID: UUID) {
        self.sessionID = sessionID
        self.payoutAccountID = payoutAccountID
        self.referenceID = referenceID
    }
}

/// Dollr's ExecutionResponse, returned by execute and by the status call.
public struct PayoutExecution: Sendable, Hashable {
    public let referenceID: UUID
    public let status: ExecutionStatus
    /// What the merchant pays (amount + fees when the payer bears them).
    public let payerAmount: Money
    /// What the recipient receives.
    public let payeeAmount: Money
    public let operationType: OperationType
    public let providerTransactionID: String?
    /// Why the gateway failed the transfer, when it did.
    public let gatewayMessage: String?
    /// Why the merchant wallet could not cover the transfer, when it could not.
    public let walletMessage: String?

    package init(json object: JSONObject) throws(JSONShapeError) {
        guard let referenceID = UUID(uuidString: try object.string("reference_id")) else {
            throw JSONShapeError(field: "reference_id", expected: "a UUID")
        }
        self.referenceID = referenceID
        self.status = ExecutionStatus(rawValue: try object.string("status"))
        self.payerAmount = try object.money(amount: "payer_amount", currency: "payer_currency")
        self.payeeAmount = try object.money(amount: "payee_amount", currency: "payee_currency")
        self.operationType = OperationType(rawValue: try object.string("operation_type"))
        self.providerTransactionID = try object.optionalString("provider_transaction_id")
        self.gatewayMessage = try object.optionalString("gateway_message")
        self.walletMessage = try object.optionalString("wallet_message")
    }
}
