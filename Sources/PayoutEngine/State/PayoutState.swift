import DollrClient
import Foundation

/// Everything the engine knows about one payout, persisted as one JSON document per recovery
/// point. Amounts are integer minor units; the recipient's phone is kept only until the payout
/// account exists, then dropped (data minimisation).
struct PayoutState: Sendable, Hashable, Codable {
    struct Command: Sendable, Hashable, Codable {
        var referenceID: ReferenceID
        var amountMinor: Int64
        var currency: String
        var payoutAccountID: Int?
        var recipient: Recipient?
        var requestedAt: String?
        var metadata: [String: String]
    }

    struct Recipient: Sendable, Hashable, Codable {
        var accountName: String
        var partyID: Int
        var phone: String?
        var provider: String
        var method: String
        var countryCode: String?
    }

    var command: Command
    var phase: PayoutPhase
    /// The public status of the latest event.
    var status: PayoutStatus
    var reason: PayoutReason?
    /// What the hold covers: amount + predicted (or fallback) fee.
    var holdMinor: Int64?
    var feeMinor: Int64?
    var payoutAccountID: Int?
    var sessionID: String?
    var walletID: String?
    var providerStatus: String?
    var providerTransactionID: String?
    var debitedMinor: Int64?
    var executeAttempts = 0
    /// When the latest execute was (or was about to be) sent.
    var executeSentAt: Int64?
    /// When the first status poll happened; the polling budget counts from here.
    var pollingSince: Int64?
    var polls = 0
    /// Consecutive transient failures of the current step, for back-off.
    var transientFailures = 0
    /// An execute was sent again because Dollr answered 404 for the first: that one is presumed,
    /// not known, never to have landed.
    var executePresumedLost: Bool?
    /// A refusal waiting for one more status poll before it ends the payout (see
    /// `failBeforeLanding`).
    var pendingFailure: PayoutReason?
    /// When the payout entered REQUIRES_REVIEW; the recheck budget counts from here.
    var reviewSince: Int64?
    /// The payout's trace (W3C `traceparent`, `tracestate`), so whichever worker advances it, after
    /// a crash too, continues the same trace; its events carry it.
    var traceParent: String?
    var traceState: String?

    init(command: PayoutCommand, now: Int64) {
        var payoutAccountID: Int?
        var recipient: Recipient?
        switch command.recipient {
        case .existingAccount(let id): payoutAccountID = id
        case .newAccount(let details):
            recipient = Recipient(
                accountName: details.accountName,
                partyID: details.partyID,
                phone: details.phone.revealed,
                provider: details.provider.rawValue,
                method: details.method.rawValue,
                countryCode: details.countryCode
            )
        }
        self.command = Command(
            referenceID: command.referenceID,
            amountMinor: command.amount.minorUnits,
            currency: command.amount.currency.code,
            payoutAccountID: payoutAccountID,
            recipient: recipient,
            requestedAt: command.requestedAt,
            metadata: command.metadata
        )
        self.phase = .accepted
        self.status = .accepted
        self.payoutAccountID = payoutAccountID
    }

    var currency: CurrencyCode { (try? CurrencyCode(command.currency)) ?? .usd }
    var amount: Money { Money(minorUnits: command.amountMinor, currency: currency) }

    func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> PayoutState {
        try JSONDecoder().decode(PayoutState.self, from: Data(text.utf8))
    }

    /// The stored state without what identifies the recipient: name, party, phone, provider
    /// account and the command's metadata. What idempotency and reconciliation need stays:
    /// reference_id, amounts, currency, status and Dollr's ids. Nil if `text` is unreadable.
    static func withoutRecipientDetails(_ text: String) -> String? {
        guard var state = try? decode(text) else { return nil }
        state.command.recipient = nil
        state.command.metadata = [:]
        return state.encoded()
    }
}
