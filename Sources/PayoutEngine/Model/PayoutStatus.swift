/// The `status` of a payout's status event: what downstream subscribers see.
public enum PayoutStatus: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Durably recorded; nothing sent to Dollr yet.
    case accepted = "ACCEPTED"
    /// Dollr accepted the execution and reports it PENDING.
    case pending = "PENDING"
    /// Dollr reports the transfer in progress.
    case processing = "PROCESSING"
    case completed = "COMPLETED"
    case failed = "FAILED"
    /// The command failed validation; never executed, and the reference_id stays free.
    case rejected = "REJECTED"
    /// The outcome stayed unknown past the polling budget; the wallet hold is kept. Not an end: the
    /// engine keeps asking Dollr on a slow schedule, an operator can resolve it, and exactly one
    /// terminal event (COMPLETED or FAILED) follows.
    case requiresReview = "REQUIRES_REVIEW"

    /// COMPLETED, FAILED or REJECTED: no event follows. Each payout ends in exactly one.
    /// A status as a store reads it back from its TEXT column. A value this build does not know
    /// (written by a newer release, or by hand) is refused by name rather than guessed at.
    init(stored text: String) throws(StoreError) {
        guard let status = PayoutStatus(rawValue: text) else {
            throw StoreError(.corrupt, "unknown payout status '\(text)' in the store")
        }
        self = status
    }

    /// The status as events, the stores and operators spell it: `REQUIRES_REVIEW`, never `requiresReview`.
    public var description: String { rawValue }

    public var isTerminal: Bool {
        switch self {
        case .completed, .failed, .rejected: true
        case .accepted, .pending, .processing, .requiresReview: false
        }
    }
}
