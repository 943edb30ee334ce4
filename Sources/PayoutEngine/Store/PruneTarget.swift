/// What retention deletes. Payout rows stay: they are the idempotency record.
public enum PruneTarget: String, Sendable, Hashable, CaseIterable {
    /// Outbox rows the broker acknowledged.
    case sentOutbox = "outbox"
    /// Status events, except each payout's latest, and except any an outbox row still points at.
    case events = "payout_events"
    /// Places of answered duplicates and rejections (see ``IntakeSource``).
    case intakeSources = "intake_sources"
}
