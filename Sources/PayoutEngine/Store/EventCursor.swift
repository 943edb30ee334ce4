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
