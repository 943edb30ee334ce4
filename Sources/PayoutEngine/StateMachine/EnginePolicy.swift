public import DollrClient

/// Timings and money rules of the state machine. Durations are milliseconds, to match the store.
public struct EnginePolicy: Sendable, Hashable {
    /// First status poll after an execution is accepted (Dollr's guides poll every 2-5 s).
    public var pollInitialDelayMilliseconds: Int64 = 2_000
    /// Each later poll waits this much longer, in percent (150 = x1.5), up to the maximum.
    public var pollGrowthPercent: Int64 = 150
    public var pollMaximumDelayMilliseconds: Int64 = 30_000
    /// How long a payout may stay PENDING/PROCESSING (or unknown) before it is REQUIRES_REVIEW.
    public var pollBudgetMilliseconds: Int64 = 30 * 60_000
    /// Back-off for transient failures (outages, 5xx, timeouts before execute): base, doubling, cap.
    public var retryBaseDelayMilliseconds: Int64 = 1_000
    public var retryMaximumDelayMilliseconds: Int64 = 60_000
    /// When Dollr cannot predict the fee, the hold covers amount + this share (basis points)...
    public var fallbackFeeBasisPoints: Int64 = 300
    /// ...and at least this much, per currency in minor units, so a hold is never smaller than the
    /// real debit. Fees have a floor in each currency's own terms (the sandbox's is 0.10 USD and
    /// 10.00 LRD), so one number cannot serve both: 1.00 would under-reserve every small LRD payout.
    /// Every allowed currency needs an entry: `PayoutEngine` refuses a configuration without one
    /// (and the worker's loader names the missing key).
    public var fallbackFeeMinimums: [CurrencyCode: Int64] = EnginePolicy.defaultFallbackFeeMinimums
    /// A fee prediction that fails transiently (429, 5xx, timeout) is asked again this many times
    /// before the fallback fee is used: the prediction is a harmless read, and a fallback hold is
    /// a guess.
    public var maximumPredictionRetries = 3
    /// Sessions that expire before execute are replaced; after this many executes, give up.
    public var maximumExecuteAttempts = 5
    /// After an execute was sent, Dollr's 404 for the reference_id counts as "never landed" only
    /// once this long has passed since sending: a request that timed out on our side may still be
    /// on its way to Dollr, or queued there. Until then the status is polled again. Dollr's own
    /// reference_id guard refuses a second execute that races a late first one; this grace keeps
    /// us from leaning on it.
    public var notFoundGraceMilliseconds: Int64 = 60_000
    /// A payout under REQUIRES_REVIEW keeps asking Dollr at this interval, so a definitive answer
    /// that comes late settles it (reason RECONCILED) without an operator...
    public var reviewRecheckIntervalMilliseconds: Int64 = 10 * 60_000
    /// ...for this long after it entered review; then it waits for an operator alone.
    public var reviewRecheckBudgetMilliseconds: Int64 = 7 * 24 * 60 * 60_000
    public var walletWithoutBalance: WalletWithoutBalancePolicy = .fail

    public init() {}

    /// 1.00 USD, and its rough worth in LRD (200.00): both well above the sandbox's fee floors.
    public static let defaultFallbackFeeMinimums: [CurrencyCode: Int64] = [.usd: 100, .lrd: 20_000]
}

/// What to do with a payout whose currency has no declared wallet balance.
public enum WalletWithoutBalancePolicy: String, Sendable, Hashable, Codable {
    /// FAILED with WALLET_BALANCE_UNKNOWN, never sent to Dollr (the default: no precheck, no payout).
    case fail
    /// Execute without a hold and let Dollr's own wallet check decide (for merchants who accept
    /// that a payout may then fail at Dollr for want of funds).
    case executeUnchecked
}
