/// One resolution of a payout under REQUIRES_REVIEW, appended to the audit log in the same
/// transaction as the terminal event and the hold's settlement. The log is append-only: no call
/// updates or deletes a record.
public struct ResolutionAudit: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The engine's recheck found Dollr's definitive answer.
        case recheck
        /// An operator resolved it (`payout-worker payouts resolve`).
        case `operator`
    }

    /// Assigned by the store; 0 on a record not stored yet.
    public var id: Int64
    public var referenceID: String
    public var kind: Kind
    /// Who resolved it: the operator's name, or `engine` for a recheck.
    public var actor: String
    public var note: String
    /// Dollr's answer at that moment, as shown to the operator: a status (`COMPLETED`, `PENDING`,
    /// ...), `NOT_FOUND`, or `UNAVAILABLE: <error>`.
    public var providerAnswer: String
    public var statusBefore: PayoutStatus
    public var statusAfter: PayoutStatus
    /// What happened to the hold: `posted <minor units>`, `voided`, or `none`.
    public var ledger: String
    /// The operator overrode an answer of Dollr's that contradicted theirs.
    public var forced: Bool
    public var recordedAt: Int64

    public init(
        id: Int64 = 0,
        referenceID: String,
        kind: Kind,
        actor: String,
        note: String,
        providerAnswer: String,
        statusBefore: PayoutStatus,
        statusAfter: PayoutStatus,
        ledger: String,
        forced: Bool,
        recordedAt: Int64
    ) {
        self.id = id
        self.referenceID = referenceID
        self.kind = kind
        self.actor = actor
        self.note = note
        self.providerAnswer = providerAnswer
        self.statusBefore = statusBefore
        self.statusAfter = statusAfter
        self.ledger = ledger
        self.forced = forced
        self.recordedAt = recordedAt
    }
}

/// The payouts waiting in REQUIRES_REVIEW.
public struct ReviewQueueSummary: Sendable, Hashable {
    public var count: Int
    /// When the longest-waiting one entered review (its REQUIRES_REVIEW event), if any waits.
    public var oldestSince: Int64?

    public init(count: Int, oldestSince: Int64?) {
        self.count = count
        self.oldestSince = oldestSince
    }
}

/// What ``PayoutStore/claimForResolution(referenceID:owner:leaseMilliseconds:now:)`` found.
public enum ResolutionClaim: Sendable, Hashable {
    /// Leased to the caller, under review.
    case claimed(StoredPayout)
    case notFound
    /// Not in REQUIRES_REVIEW: only payouts under review can be resolved.
    case notUnderReview(status: PayoutStatus)
    /// Under review, but leased right now (a recheck in progress, or another operator).
    case busy(owner: String, until: Int64)
}

/// A payout listed for operators: the row, with what its state says about it.
public struct PayoutListing: Sendable, Hashable {
    public var payout: StoredPayout
    /// When its latest event happened: for a payout under review, when it entered review.
    public var latestEventAt: Int64
    /// The hold's amount while pending, else nil.
    public var heldMinor: Int64?

    public init(payout: StoredPayout, latestEventAt: Int64, heldMinor: Int64?) {
        self.payout = payout
        self.latestEventAt = latestEventAt
        self.heldMinor = heldMinor
    }
}
