/// A record as intake sees it: the Kafka key and value, nothing Kafka-specific.
public struct IntakeRecord: Sendable, Hashable {
    public var key: [UInt8]?
    public var value: [UInt8]?
    /// Where the record was read; with it, a record read again is told from an upstream duplicate.
    public var source: IntakeSource?
    /// The W3C trace context upstream sent with the command (`traceparent`, `tracestate`): the
    /// payout's trace continues it.
    public var traceParent: String?
    public var traceState: String?

    public init(
        key: [UInt8]?,
        value: [UInt8]?,
        source: IntakeSource? = nil,
        traceParent: String? = nil,
        traceState: String? = nil
    ) {
        self.key = key
        self.value = value
        self.source = source
        self.traceParent = traceParent
        self.traceState = traceState
    }
}

/// What intake did with one record. The runtime stores the record's offset after every result:
/// each is durable (recorded, or answered) or needs the dead-letter path.
public enum IntakeResult: Sendable, Hashable {
    /// New payout recorded with its ACCEPTED event.
    case accepted(referenceID: ReferenceID)
    /// Identical to an earlier command: no side effect, its latest event re-emitted.
    case duplicate(referenceID: ReferenceID, latestStatus: PayoutStatus)
    /// Same reference_id as an earlier payout with different content: the original is untouched;
    /// the record belongs on the dead-letter topic with reason IDEMPOTENCY_CONFLICT.
    case conflict(referenceID: ReferenceID)
    /// Failed validation but names its reference_id: answered with a REJECTED event.
    case rejected(referenceID: ReferenceID, CommandRejection)
    /// Not a usable command at all (no reference_id): dead-letter it with this reason.
    case invalid(CommandRejection)
    /// Read again at the source of a command or rejection already answered: nothing to do.
    case redelivered(referenceID: ReferenceID)
}

extension IntakeResult {
    /// The reference_id the record named, if it named a usable one.
    var referenceID: ReferenceID? {
        switch self {
        case .accepted(let id), .duplicate(let id, _), .conflict(let id), .rejected(let id, _), .redelivered(let id): id
        case .invalid: nil
        }
    }

    /// What intake did, as a span attribute says it.
    var traceLabel: String {
        switch self {
        case .accepted: "accepted"
        case .duplicate: "duplicate"
        case .conflict: "conflict"
        case .rejected: "rejected"
        case .invalid: "invalid"
        case .redelivered: "redelivered"
        }
    }
}
