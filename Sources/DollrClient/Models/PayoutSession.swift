/// What `POST /v1/sessions/payout` needs: the recipient's account and the amount to pay out.
public struct CreatePayoutSessionRequest: Sendable, Hashable {
    /// Sent as a JSON integer.
    public var payoutAccountID: Int
    /// Sent as a JSON number in major units (`100.50`) plus its currency code; written from exact text.
    public var amount: Money

    public init(payoutAccountID: Int, amount: Money) {
        self.payoutAccountID = payoutAccountID
        self.amount = amount
    }

    var json: JSONObject {
        [
            "payout_account_id": .integer(self.payoutAccountID),
            "amount": .number(self.amount.description),
            "currency": .string(self.amount.currency.code),
        ]
    }
}

/// A short-lived payout session; execute it before ``expiresAt``.
public struct PayoutSession: Sendable, Hashable {
    /// Sent back as a string on execute, whatever JSON type Dollr used for it.
    public let id: String
    /// The merchant wallet Dollr will debit.
    public let walletID: String
    public let payoutAccountID: Int
    public let amount: Money
    public let status: String
    public let expiresAt: DollrTimestamp
    public let createdAt: DollrTimestamp
    public let updatedAt: DollrTimestamp

    package init(json object: JSONObject) throws(JSONShapeError) {
        self.id = try object.identifier("id")
        self.walletID = try object.identifier("wallet_id")
        self.payoutAccountID = try object.integer("payout_account_id")
        self.amount = try object.money(amount: "amount", currency: "currency")
        self.status = try object.string("status")
        self.expiresAt = DollrTimestamp(raw: try object.string("expires_at"))
        self.createdAt = DollrTimestamp(raw: try object.string("created_at"))
        self.updatedAt = DollrTimestamp(raw: try object.string("updated_at"))
    }
}
