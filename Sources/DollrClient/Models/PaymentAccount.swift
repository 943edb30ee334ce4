/// What `POST /v1/payment-accounts/create?operation_type=PAYOUT` needs to register a recipient.
public struct CreatePaymentAccountRequest: Sendable, Hashable {
    public var accountName: String
    public var provider: PaymentProvider
    public var method: PaymentMethod
    public var partyID: Int
    public var countryCode: String?
    /// The recipient's MSISDN (`insensitive_account_number`).
    public var accountNumber: PhoneNumber?

    public init(
        accountName: String,
        provider: PaymentProvider,
        method: PaymentMethod,
        partyID: Int,
        countryCode: String? = nil,
        accountNumber: PhoneNumber? = nil
    ) {
        self.accountName = accountName
        self.provider = provider
        self.method = method
        self.partyID = partyID
        self.countryCode = countryCode
        self.accountNumber = accountNumber
    }

    var json: JSONObject {
        var body: JSONObject = [
            "account_name": .string(self.accountName), "provider": .string(self.provider.rawValue),
            "method": .string(self.method.rawValue), "party_id": .integer(self.partyID),
        ]
        if let countryCode { body["country_code"] = .string(countryCode) }
        if let accountNumber { body["insensitive_account_number"] = .string(accountNumber.revealed) }
        return body
    }
}

/// A payout recipient as Dollr stores it.
public struct PaymentAccount: Sendable, Hashable {
    /// Sent as an integer on the session call and as a string on the execute call.
    public let id: Int
    public let accountName: String
    public let provider: PaymentProvider
    public let method: PaymentMethod
    public let partyID: Int
    public let isActive: Bool
    public let countryCode: String?
    public let createdAt: DollrTimestamp
    public let updatedAt: DollrTimestamp

    package init(json object: JSONObject) throws(JSONShapeError) {
        self.id = try object.integer("id")
        self.accountName = try object.string("account_name")
        self.provider = PaymentProvider(rawValue: try object.string("provider"))
        self.method = PaymentMethod(rawValue: try object.string("method"))
        self.partyID = try object.integer("party_id")
        self.isActive = try object.bool("is_active")
        self.countryCode = try object.optionalString("country_code")
        self.createdAt = DollrTimestamp(raw: try object.string("created_at"))
        self.updatedAt = DollrTimestamp(raw: try object.string("updated_at"))
    }
}
