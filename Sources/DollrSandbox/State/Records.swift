import DollrClient

/// A merchant wallet.
struct WalletRecord {
    var id: Int
    var balance: Money
}

/// A registered payout recipient. The MSISDN is kept only as a ``PhoneNumber``, never rendered.
struct AccountRecord {
    var id: Int
    var accountName: String
    var provider: String
    var method: String
    var partyID: Int
    var countryCode: String?
    var accountNumber: PhoneNumber?
    var createdAt: ContinuousClock.Instant
}

/// A payout session: single use, bound to the merchant wallet of its currency.
struct SessionRecord {
    var id: String
    var walletID: Int
    var accountID: Int
    var amount: Money
    var createdAt: ContinuousClock.Instant
    var expiresAt: ContinuousClock.Instant
    var used = false
}

/// Everything known about one `reference_id`, including execute calls that were rejected.
struct ExecutionRecord {
    enum Outcome {
        case completed(providerTransactionID: String)
        case failedAtProvider(gatewayMessage: String)
        case failedForFunds(walletMessage: String)
    }

    /// The accepted execution's terms and timeline.
    struct Terms {
        var sessionID: String
        var walletID: Int
        var amount: Money
        var fee: Money
        var acceptedAt: ContinuousClock.Instant
        var processingAt: ContinuousClock.Instant
        var dueAt: ContinuousClock.Instant
        var providerFails: Bool
    }

    var referenceID: String
    var executeCalls = 0
    /// Execute calls refused because this reference was already accepted.
    var duplicateExecuteCalls = 0
    /// The error type of each refused execute call, in order.
    var refusals: [String] = []
    var terms: Terms?
    var outcome: Outcome?

    var accepted: Bool { self.terms != nil }

    var refusedForFunds: Bool {
        if case .failedForFunds? = self.outcome { return true }
        return false
    }

    /// Total taken from the wallet: amount + fee once completed, zero otherwise.
    var debited: Money? {
        guard let terms else { return nil }
        if case .completed? = self.outcome { return terms.amount + terms.fee }
        return .zero(terms.amount.currency)
    }

    func status(at now: ContinuousClock.Instant) -> ExecutionStatus? {
        guard let terms else { return nil }
        switch self.outcome {
        case .completed?: return .completed
        case .failedAtProvider?, .failedForFunds?: return .failed
        case nil: return now < terms.processingAt ? .pending : .processing
        }
    }
}
