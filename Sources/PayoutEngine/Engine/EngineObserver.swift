import DollrClient

/// What the engine reports as it works, for metrics. Calls are made inline: keep them cheap.
public protocol EngineObserver: Sendable {
    /// A Dollr call finished. `call` is `predict_fee`, `create_account`, `create_session`,
    /// `execute` or `status`; `outcome` is `ok` or the error's kind (`rate_limited`, `unknown`, ...).
    func providerCallFinished(call: String, outcome: String, duration: Duration)
    /// A payout reached a final status.
    func payoutFinished(status: PayoutStatus, reason: PayoutReason.Code?)
    /// A completed payout's debit was posted that the ledger had not reserved in full.
    func ledgerMismatch(_ mismatch: LedgerMismatch, currency: String)
    /// A step's commit was refused because another claim owns the payout now: the work since the
    /// last recovery point is the new owner's to redo.
    func leaseLost()
    /// A payout's lease could not be renewed before a Dollr call (another claim took it, or an
    /// operator settled it): this worker left it.
    func leaseExpired()
}

extension EngineObserver {
    public func leaseLost() {}
    public func leaseExpired() {}
}

/// Why a posted debit disagrees with its hold.
public enum LedgerMismatch: String, Sendable, Hashable, CustomStringConvertible {
    /// Dollr debited more than the hold reserved (the fallback fee was too low).
    case debitExceededHold = "debit_exceeded_hold"
    /// Dollr reported the debit in another currency; the hold's estimate was posted instead.
    case debitInOtherCurrency = "debit_in_other_currency"

    public var description: String {
        switch self {
        case .debitExceededHold: "Dollr debited more than the hold reserved; raise engine.fallback_fee_minimums"
        case .debitInOtherCurrency: "Dollr reported the debit in another currency; the hold's estimate was posted"
        }
    }
}

/// Metric label for a Dollr error.
enum DollrErrorKind {
    static func of(_ error: DollrError) -> String { error.kind }
}
