import DollrClient

import struct Foundation.UUID

/// The next thing to do for a payout, as decided from its state alone.
enum EngineAction: Sendable, Hashable {
    /// Ask Dollr what the payout will cost; `nil` when it cannot be asked (existing account with
    /// unknown method/provider), in which case the fallback fee applies.
    case predictFee(AmountAndFeesQuery?)
    case createAccount(CreatePaymentAccountRequest)
    case createSession(CreatePayoutSessionRequest)
    /// Commit the `executing` recovery point; the execute call follows in the same worker.
    case markExecuting
    case execute(ExecutePayoutRequest)
    case pollStatus(UUID)
    /// Final; nothing to do.
    case none
}

/// What came of an action; fed back to the state machine.
enum ActionOutcome: Sendable, Hashable {
    /// Dollr's predicted payer amount (amount + fees), or `nil` if it cannot be asked.
    case feePredicted(payerAmount: Money?)
    /// The prediction call failed: asked again if the failure was transient, else the fallback fee.
    case feePredictionFailed(DollrError)
    /// The store refused the hold: the wallet's available balance is `availableMinor`.
    case holdRefusedInsufficient(availableMinor: Int64)
    case holdRefusedWalletUnknown
    case accountCreated(id: Int)
    case sessionCreated(id: String, walletID: String)
    case markedExecuting
    case executed(PayoutExecution)
    case polled(PayoutExecution)
    /// The execute call failed (distinct from a poll failing in the same `executing` phase).
    case executeFailed(DollrError)
    /// Any other call failed.
    case failed(DollrError)
    /// An operator resolved a payout under review as COMPLETED or FAILED, having seen Dollr's
    /// answer (nil when Dollr did not know the payout or could not be asked).
    case resolvedByOperator(PayoutStatus, dollrAnswer: PayoutExecution?)
}

/// When the payout should be worked on next.
enum Schedule: Sendable, Hashable {
    /// Continue in this worker right away (the lease is renewed).
    case now
    /// Release the lease; claimable again after this many milliseconds.
    case after(milliseconds: Int64)
    /// Terminal status reached.
    case done
    /// Nothing to do until an operator acts (a review past its recheck budget).
    case parked
}

/// Conditions the runtime turns into health and flow control.
public enum EngineAlert: Sendable, Hashable {
    /// 403: payouts cannot proceed until the merchant account is fixed (readiness degraded).
    case merchantNotVerified
    /// The configured passcode was refused (readiness degraded).
    case passcodeRejected
    /// 401 after a token refresh: the client credentials are wrong (readiness degraded).
    case credentialsRejected
    /// Dollr is rate limiting: slow intake for this long.
    case rateLimited(retryAfterMilliseconds: Int64)
    /// Dollr is unreachable or failing: slow intake.
    case providerUnavailable
}

/// The state machine's answer: the state to commit, with what to emit and do.
struct Decision: Sendable, Hashable {
    var state: PayoutState
    /// A status event to emit with this transition (its status is `state.status`).
    var emitsEvent: Bool
    var ledger: LedgerOperation
    var schedule: Schedule
    var alert: EngineAlert?
    /// A foreign call to make right after committing, without re-deciding (execute after
    /// `executing` is durable).
    var followUp: EngineAction?
}
