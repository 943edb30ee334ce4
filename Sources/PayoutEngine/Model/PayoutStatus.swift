/// The `status` of a payout's status event: what downstream subscribers see.
public enum PayoutStatus: String, Sendable, Hashable, Codable, CaseIterable {
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
    /// The outcome stayed unknown past the polling budget; the wallet hold is kept for an operator.
    case requiresReview = "REQUIRES_REVIEW"

    /// No further event follows a final status (short of an operator's action).
    public var isFinal: Bool {
        switch self {
        case .completed, .failed, .rejected, .requiresReview: true
        case .accepted, .pending, .processing: false
        }
    }
}
