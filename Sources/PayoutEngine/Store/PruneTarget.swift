/// What retention deletes. Payout rows stay: they are the idempotency record.
public enum PruneTarget: String, Sendable, Hashable, CaseIterable {
    /// Outbox rows the broker acknowledged.
    case sentOutbox = "outbox"
    /// Status events, except each payout's latest, and except any an outbox row still points at.
    case events = "payout_events"
    /// Places of answered duplicates and rejections (see ``IntakeSource``).
    case intakeSources = "intake_sources"
}

/// A position in the order of events by reference_id, then sequence.
public struct EventCursor: Sendable, Hashable {
    public var referenceID: String
    public var sequence: Int

    public init(referenceID: String, sequence: Int) {
        self.referenceID = referenceID
        self.sequence = sequence
    }

    public init(after event: StoredEvent) {
        self.init(referenceID: event.referenceID, sequence: event.sequence)
    }
}
