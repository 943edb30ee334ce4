/// Payouts that reached a final status in one minute, by status: the throughput an operator sees.
public struct FinishedMinute: Sendable, Hashable {
    /// The minute's start, in milliseconds since the epoch.
    public var minuteStart: Int64
    /// COMPLETED, FAILED or REQUIRES_REVIEW.
    public var status: PayoutStatus
    public var count: Int

    public init(minuteStart: Int64, status: PayoutStatus, count: Int) {
        self.minuteStart = minuteStart
        self.status = status
        self.count = count
    }
}

/// A worker holding payout leases right now: the workers an operator can see working, from the
/// store all of them share.
public struct LeaseHolder: Sendable, Hashable {
    public var owner: String
    public var payouts: Int
    /// When the first of its leases ends unless renewed.
    public var nextExpiry: Int64

    public init(owner: String, payouts: Int, nextExpiry: Int64) {
        self.owner = owner
        self.payouts = payouts
        self.nextExpiry = nextExpiry
    }
}
