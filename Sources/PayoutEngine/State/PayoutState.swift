import DollrClient

/// Everything the engine knows about one payout: what upstream asked for, what every phase shares
/// (status, reason, back-off, trace), and in ``progress`` the phase with the data that phase needs,
/// in that phase's own case. Persisted as one JSON document per recovery point (see ``Document``).
/// Amounts are integer minor units.
struct PayoutState: Sendable, Hashable {
    /// What upstream asked for, as the payout keeps it.
    struct Request: Sendable, Hashable {
        var referenceID: ReferenceID
        var amount: Money
        /// The payout account the command named, when the recipient was registered at Dollr already.
        var payoutAccountID: Int?
        /// Who receives the payout, as operators see it: nil for a command that named a payout
        /// account, and once retention has scrubbed it.
        var recipient: Recipient?
        /// RFC 3339 text as sent; informational.
        var requestedAt: String?
        /// Free text from upstream; never shown unescaped, dropped by retention.
        var metadata: [String: String]
    }

    /// A recipient to register, without the phone number: the phone is registration data, held by
    /// the phases before the payout account exists (``PayeeAccount/toRegister(_:)``) and by no
    /// other (data minimisation).
    struct Recipient: Sendable, Hashable {
        var accountName: String
        var partyID: Int
        var provider: String
        var method: String
        var countryCode: String?
    }

    /// Where the payout is, each phase with what it needs: the state machine switches over it.
    enum Progress: Sendable, Hashable {
        case accepted(Accepted)
        case reserved(Reserved)
        case accountReady(AccountReady)
        case sessionReady(SessionReady)
        case executing(Executing)
        case polling(Polling)
        case underReview(UnderReview)
        case finished(Finished)
    }

    var request: Request
    /// The public status of the latest event.
    var status: PayoutStatus
    var reason: PayoutReason?
    /// Consecutive transient failures of the current step, for back-off.
    var transientFailures = 0
    /// The payout's trace (W3C `traceparent`, `tracestate`), so whichever worker advances it, after
    /// a crash too, continues the same trace; its events carry it.
    var traceParent: String?
    var traceState: String?
    var progress: Progress

    init(command: PayoutCommand, now: Int64) {
        let account: PayeeAccount
        var recipient: Recipient?
        var payoutAccountID: Int?
        switch command.recipient {
        case .existingAccount(let id):
            account = .registered(id: id)
            payoutAccountID = id
        case .newAccount(let details):
            account = .toRegister(details)
            recipient = Recipient(details)
        }
        self.request = Request(
            referenceID: command.referenceID,
            amount: command.amount,
            payoutAccountID: payoutAccountID,
            recipient: recipient,
            requestedAt: command.requestedAt,
            metadata: command.metadata
        )
        self.status = .accepted
        self.progress = .accepted(Accepted(account: account))
    }

    init(
        request: Request,
        status: PayoutStatus,
        reason: PayoutReason?,
        transientFailures: Int,
        traceParent: String?,
        traceState: String?,
        progress: Progress
    ) {
        self.request = request
        self.status = status
        self.reason = reason
        self.transientFailures = transientFailures
        self.traceParent = traceParent
        self.traceState = traceState
        self.progress = progress
    }

    var currency: CurrencyCode { request.amount.currency }
    var amount: Money { request.amount }
    var amountMinor: Int64 { request.amount.minorUnits }

    var phase: PayoutPhase {
        switch progress {
        case .accepted: .accepted
        case .reserved: .reserved
        case .accountReady: .accountReady
        case .sessionReady: .sessionReady
        case .executing: .executing
        case .polling: .polling
        case .underReview: .underReview
        case .finished: .finished
        }
    }

    /// The stored state without what identifies the recipient: name, party, phone, provider
    /// account and the command's metadata. What idempotency and reconciliation need stays:
    /// reference_id, amounts, currency, status and Dollr's ids. Nil if `text` is unreadable, or is
    /// a payout that has not finished: one in flight may still need its recipient, and only
    /// finished payouts are scrubbed.
    static func withoutRecipientDetails(_ text: String) -> String? {
        guard var state = try? decode(text), case .finished = state.progress else { return nil }
        state.request.recipient = nil
        state.request.metadata = [:]
        return state.encoded()
    }
}

extension PayoutState.Recipient {
    init(_ details: RecipientDetails) {
        self.init(
            accountName: details.accountName,
            partyID: details.partyID,
            provider: details.provider.rawValue,
            method: details.method.rawValue,
            countryCode: details.countryCode
        )
    }
}
