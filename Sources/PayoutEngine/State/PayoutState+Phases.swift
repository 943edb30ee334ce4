import DollrClient

// What each phase of a payout holds. A phase's data is what its next step needs and what its
// events and operators show; nothing a phase does not have is representable in it.
extension PayoutState {
    /// The payout account Dollr pays into.
    enum PayeeAccount: Sendable, Hashable {
        /// Registered at Dollr: the command named it.
        case registered(id: Int)
        /// To register before the session (`POST /v1/payment-accounts/create`), phone included.
        case toRegister(RecipientDetails)
    }

    /// The wallet hold: the amount plus the fee it is sized for (predicted, or the fallback).
    struct Hold: Sendable, Hashable {
        var totalMinor: Int64
        var feeMinor: Int64
    }

    /// A payout session at Dollr, ready to be executed once.
    struct Session: Sendable, Hashable {
        var id: String
        var walletID: String
    }

    /// The executes sent for this reference_id, and what asking Dollr about them has found so far.
    /// Kept when a session is replaced, so the attempt and polling budgets count across sessions.
    struct Execution: Sendable, Hashable {
        /// Executes sent so far, each from its own session: at least 1.
        var attempts: Int
        /// When the latest execute was (or was about to be) sent.
        var sentAt: Int64
        /// The wallet of the session the latest execute was sent with.
        var walletID: String
        /// An execute was sent again because Dollr answered 404 for an earlier one: that one is
        /// presumed, not known, never to have landed.
        var presumedLost: Bool
        /// When the first status poll happened; the polling budget counts from here.
        var pollingSince: Int64?
        var polls: Int
    }

    /// Dollr's latest answer about the payout.
    struct DollrAnswer: Sendable, Hashable {
        /// `PENDING`, `PROCESSING`, `COMPLETED`, `FAILED`, or a status Dollr adds later.
        var status: String
        var transactionID: String?
    }

    /// Recorded; next: price the fee and place the hold.
    struct Accepted: Sendable, Hashable {
        var account: PayeeAccount
    }

    /// Hold placed; next: register the recipient, or create the session for a registered one.
    struct Reserved: Sendable, Hashable {
        /// Nil when the wallet has no declared balance and the policy executes unchecked.
        var hold: Hold?
        var account: PayeeAccount
    }

    /// The payout account exists; next: a session. After a session expired or an execute was
    /// answered 404, `earlier` is what those executes left.
    struct AccountReady: Sendable, Hashable {
        var hold: Hold?
        var payoutAccountID: Int
        var earlier: Execution?
    }

    /// Next: commit `executing`, then execute.
    struct SessionReady: Sendable, Hashable {
        var hold: Hold?
        var payoutAccountID: Int
        var session: Session
        var earlier: Execution?
    }

    /// The execute may have been sent. Recovering here never executes again blindly: it polls first.
    struct Executing: Sendable, Hashable {
        var hold: Hold?
        var payoutAccountID: Int
        var sessionID: String
        var execution: Execution
    }

    /// Dollr may know the execution; its status is polled until final.
    struct Polling: Sendable, Hashable {
        var hold: Hold?
        var payoutAccountID: Int
        /// The latest execute's session; nil when the latest attempt was refused before executing.
        var sessionID: String?
        var execution: Execution
        /// Nil until Dollr reports the payout (after an execute's outcome was unknown).
        var answer: DollrAnswer?
        /// A refusal waiting for one more status poll before it ends the payout: an earlier
        /// execute was only presumed lost, so FAILED must wait until Dollr confirms it knows none.
        var pendingFailure: PayoutReason?
    }

    /// REQUIRES_REVIEW, hold kept; Dollr is asked again on a slow schedule until it answers for
    /// good, the recheck budget ends, or an operator resolves it.
    struct UnderReview: Sendable, Hashable {
        var hold: Hold?
        var payoutAccountID: Int
        var sessionID: String?
        var execution: Execution
        var answer: DollrAnswer?
        /// When the payout entered review; the recheck budget counts from here.
        var since: Int64
    }

    /// A terminal status is published; nothing is left to do. What the payout got to before it
    /// ended stays for operators and reconciliation: a payout can end in any phase, so each is
    /// there only if that phase was reached.
    struct Finished: Sendable, Hashable {
        var hold: Hold?
        var payoutAccountID: Int?
        var sessionID: String?
        var execution: Execution?
        var answer: DollrAnswer?
        /// What the hold was posted with: Dollr's debit, or the hold's estimate.
        var debitedMinor: Int64?
        var reviewSince: Int64?
    }
}

// MARK: - What the state says of the payout, whatever its phase

// For events, operators, the persisted document and tests; the state machine switches over
// `progress` instead.
extension PayoutState {
    var hold: Hold? {
        switch progress {
        case .accepted: nil
        case .reserved(let reserved): reserved.hold
        case .accountReady(let ready): ready.hold
        case .sessionReady(let ready): ready.hold
        case .executing(let executing): executing.hold
        case .polling(let polling): polling.hold
        case .underReview(let review): review.hold
        case .finished(let finished): finished.hold
        }
    }

    var holdMinor: Int64? { hold?.totalMinor }
    var feeMinor: Int64? { hold?.feeMinor }

    /// The payout account, once it is registered (for a registered one, from the start).
    var payoutAccountID: Int? {
        switch progress {
        case .accepted(let accepted): accepted.account.registeredID
        case .reserved(let reserved): reserved.account.registeredID
        case .accountReady(let ready): ready.payoutAccountID
        case .sessionReady(let ready): ready.payoutAccountID
        case .executing(let executing): executing.payoutAccountID
        case .polling(let polling): polling.payoutAccountID
        case .underReview(let review): review.payoutAccountID
        case .finished(let finished): finished.payoutAccountID
        }
    }

    var sessionID: String? {
        switch progress {
        case .accepted, .reserved, .accountReady: nil
        case .sessionReady(let ready): ready.session.id
        case .executing(let executing): executing.sessionID
        case .polling(let polling): polling.sessionID
        case .underReview(let review): review.sessionID
        case .finished(let finished): finished.sessionID
        }
    }

    var walletID: String? {
        switch progress {
        case .sessionReady(let ready): ready.session.walletID
        case .accepted, .reserved, .accountReady, .executing, .polling, .underReview, .finished:
            execution?.walletID
        }
    }

    /// The executes sent so far (in `accountReady` and `sessionReady`, those before the current session).
    var execution: Execution? {
        switch progress {
        case .accepted, .reserved: nil
        case .accountReady(let ready): ready.earlier
        case .sessionReady(let ready): ready.earlier
        case .executing(let executing): executing.execution
        case .polling(let polling): polling.execution
        case .underReview(let review): review.execution
        case .finished(let finished): finished.execution
        }
    }

    var executeAttempts: Int { execution?.attempts ?? 0 }
    var executeSentAt: Int64? { execution?.sentAt }
    var pollingSince: Int64? { execution?.pollingSince }
    var polls: Int { execution?.polls ?? 0 }
    /// True, or nil: the document has no `false`.
    var executePresumedLost: Bool? { execution?.presumedLost == true ? true : nil }

    var answer: DollrAnswer? {
        switch progress {
        case .accepted, .reserved, .accountReady, .sessionReady, .executing: nil
        case .polling(let polling): polling.answer
        case .underReview(let review): review.answer
        case .finished(let finished): finished.answer
        }
    }

    /// Dollr's latest answer about the payout (`PENDING`, `COMPLETED`, ...).
    var providerStatus: String? { answer?.status }
    var providerTransactionID: String? { answer?.transactionID }

    var pendingFailure: PayoutReason? {
        if case .polling(let polling) = progress { polling.pendingFailure } else { nil }
    }

    var reviewSince: Int64? {
        switch progress {
        case .underReview(let review): review.since
        case .finished(let finished): finished.reviewSince
        case .accepted, .reserved, .accountReady, .sessionReady, .executing, .polling: nil
        }
    }

    var debitedMinor: Int64? {
        if case .finished(let finished) = progress { finished.debitedMinor } else { nil }
    }

    /// The recipient's phone, while the payout account is still to be registered.
    var recipientPhone: PhoneNumber? {
        switch progress {
        case .accepted(let accepted): accepted.account.registration?.phone
        case .reserved(let reserved): reserved.account.registration?.phone
        case .accountReady, .sessionReady, .executing, .polling, .underReview, .finished: nil
        }
    }
}

extension PayoutState.PayeeAccount {
    var registeredID: Int? {
        if case .registered(let id) = self { id } else { nil }
    }

    var registration: RecipientDetails? {
        if case .toRegister(let details) = self { details } else { nil }
    }
}
