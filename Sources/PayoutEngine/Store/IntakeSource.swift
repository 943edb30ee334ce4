/// Where an intake item was read: a stream (a Kafka topic), a partition and an offset.
///
/// A record read again at the same place is a *redelivery*: the consumer re-read it after a crash
/// or a rebalance, before its offset was committed. Its events are already in the outbox, so it is
/// answered by nothing. A command with the same content read at another place is an upstream
/// *duplicate*, answered by re-emitting the payout's latest event. The store keeps the source of
/// each payout's first command and of each duplicate and rejection it answered, so it can tell the
/// two apart; a record at a known place but with another `reference_id` (a topic deleted and
/// created again starts its offsets over) is not a redelivery.
public struct IntakeSource: Sendable, Hashable, CustomStringConvertible {
    public var stream: String
    public var partition: Int32
    public var offset: Int64

    public init(stream: String, partition: Int32, offset: Int64) {
        self.stream = stream
        self.partition = partition
        self.offset = offset
    }

    public var description: String { "\(stream)[\(partition)]@\(offset)" }

    /// A place as a store row holds it: three nullable columns, all set or none.
    init?(stream: String?, partition: Int32?, offset: Int64?) {
        guard let stream, let partition, let offset else { return nil }
        self.init(stream: stream, partition: partition, offset: offset)
    }
}
