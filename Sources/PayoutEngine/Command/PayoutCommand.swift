public import DollrClient

/// A validated payout command: what upstream asked for, in exact types.
public struct PayoutCommand: Sendable, Hashable {
    /// The idempotency key, end to end: our unique key and Dollr's `reference_id`.
    public var referenceID: ReferenceID
    public var amount: Money
    public var recipient: Recipient
    /// RFC 3339 text as sent; informational.
    public var requestedAt: String?
    public var metadata: [String: String]

    public init(
        referenceID: ReferenceID,
        amount: Money,
        recipient: Recipient,
        requestedAt: String? = nil,
        metadata: [String: String] = [:]
    ) {
        self.referenceID = referenceID
        self.amount = amount
        self.recipient = recipient
        self.requestedAt = requestedAt
        self.metadata = metadata
    }

    /// The reference_id's text, as stored.
    public var referenceKey: String { referenceID.text }

    /// What makes two commands with one reference_id "the same": amount, currency and recipient.
    /// Metadata and requested_at are deliberately left out: a retry may restamp them.
    public var fingerprint: String {
        "\(amount.minorUnits)|\(amount.currency.code)|\(recipient.canonicalText)"
    }
}

/// Who receives the payout.
public enum Recipient: Sendable, Hashable {
    /// A payout account already registered at Dollr.
    case existingAccount(id: Int)
    /// A recipient to register (`POST /v1/payment-accounts/create`) before the session.
    case newAccount(RecipientDetails)

    var canonicalText: String {
        switch self {
        case .existingAccount(let id): "account:\(id)"
        case .newAccount(let details):
            "new:\(details.accountName)|\(details.partyID)|\(details.phone.revealed)|\(details.provider.rawValue)|"
                + "\(details.method.rawValue)|\(details.countryCode ?? "")"
        }
    }
}

public struct RecipientDetails: Sendable, Hashable {
    public var accountName: String
    public var partyID: Int
    /// The MSISDN; its description is masked, so logging a command never shows it.
    public var phone: PhoneNumber
    public var provider: PaymentProvider
    public var method: PaymentMethod
    public var countryCode: String?

    public init(
        accountName: String,
        partyID: Int,
        phone: PhoneNumber,
        provider: PaymentProvider,
        method: PaymentMethod,
        countryCode: String?
    ) {
        self.accountName = accountName
        self.partyID = partyID
        self.phone = phone
        self.provider = provider
        self.method = method
        self.countryCode = countryCode
    }
}
