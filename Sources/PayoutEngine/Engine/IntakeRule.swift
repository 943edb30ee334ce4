/// A payout already recorded, as intake reads it back to answer another item of its reference_id.
struct RecordedPayout: Sendable, Hashable {
    var fingerprint: String
    /// The latest event's sequence and status: what a duplicate re-enqueues and reports.
    var sequence: Int
    var status: PayoutStatus
    /// Where its first command was read, if it was read from a stream.
    var source: IntakeSource?
}

/// How intake answers one item, from what the store holds for its reference_id: the rule of
/// ``PayoutStore/accept(_:now:)``, written once. Both stores read (and lock) in their own way, feed
/// what they read to ``classify(_:recorded:)``, and write what the verdict says.
enum IntakeRule {
    /// - Parameter recorded: the payout recorded for the item's reference_id, by an earlier batch
    ///   or earlier in this one; nil if there is none.
    static func classify(_ item: IntakeItem, recorded: RecordedPayout?) -> IntakeVerdict {
        switch item {
        case .command(let payout):
            guard let recorded else { return .new(payout) }
            guard recorded.fingerprint == payout.fingerprint else { return .conflict }
            if let source = payout.source, source == recorded.source { return .redelivered }
            return .duplicate(latestSequence: recorded.sequence, latestStatus: recorded.status)
        case .rejection(_, let event, _):
            // A rejection never touches a recorded payout: same reference_id, other content.
            return recorded == nil ? .rejected(event) : .conflict
        }
    }
}

/// What ``IntakeRule`` decided for one item.
enum IntakeVerdict: Sendable {
    /// A command for an unknown reference_id: record the payout and its ACCEPTED event.
    case new(NewPayout)
    /// The reference_id is recorded with other content: nothing changes.
    case conflict
    /// Read again where the recorded payout's command was read: nothing changes.
    case redelivered
    /// The same command, read elsewhere: re-enqueue the latest event, unless the item's place was
    /// answered already (see ``outcome(answeredAtSource:)``).
    case duplicate(latestSequence: Int, latestStatus: PayoutStatus)
    /// A rejection of an unknown reference_id: record its REJECTED event, unless the item's place
    /// was answered already.
    case rejected(NewEvent)

    /// Whether the answer depends on the item's place having been answered before, for the same
    /// reference_id (the stores keep each place they answered a duplicate or a rejection at).
    var asksSource: Bool {
        switch self {
        case .duplicate, .rejected: true
        case .new, .conflict, .redelivered: false
        }
    }

    /// The outcome reported for the item; `answeredAtSource` matters only when ``asksSource``: a
    /// place answered already for this reference_id makes the item a redelivery.
    func outcome(answeredAtSource: Bool) -> IntakeOutcome {
        switch self {
        case .new: .accepted
        case .conflict: .conflict
        case .redelivered: .redelivered
        case .duplicate(_, let status): answeredAtSource ? .redelivered : .duplicate(latestStatus: status)
        case .rejected: answeredAtSource ? .redelivered : .rejected
        }
    }
}
