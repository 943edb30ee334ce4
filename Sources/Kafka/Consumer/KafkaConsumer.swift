public import Logging

/// A member of a Kafka consumer group with at-least-once delivery under the application's control.
///
/// - Messages arrive through ``messages`` (or ``nextBatch(maxCount:)``) from a bounded buffer; when
///   the application falls behind, polling stops, and fetching pauses after `backpressureGrace`,
///   instead of memory growing.
/// - Nothing is marked consumed until the application calls ``storeOffsets(_:)`` for it
///   (`enable.auto.offset.store=false`); stored offsets are committed periodically, when partitions
///   are revoked, and on ``close()``.
/// - The ``KafkaRebalanceHandler`` hears of revoked partitions *before* they are unassigned, so the
///   application can finish in-flight work and store its offsets in time for the commit.
/// - librdkafka's blocking calls run on a dedicated thread, never on the cooperative pool.
public final class KafkaConsumer: Sendable {
    private let client: RDKafkaConsumerClient

    public init(
        configuration: KafkaConsumerConfiguration,
        logger: Logger,
        rebalanceHandler: KafkaRebalanceHandler? = nil
    ) throws(KafkaError) {
        client = try RDKafkaConsumerClient(
            configuration: configuration,
            logger: logger,
            rebalanceHandler: rebalanceHandler
        )
    }

    deinit {
        client.requestClose()
    }

    /// The messages, in order per partition. The sequence ends after ``close()``; it throws if the
    /// consumer hits a fatal error. One reader at a time.
    public var messages: KafkaConsumerMessages { KafkaConsumerMessages(consumer: self) }

    /// Waits for at least one message and returns up to `maxCount` already buffered ones, in order
    /// per partition. Returns an empty array once the consumer is closed and drained.
    public func nextBatch(maxCount: Int) async throws -> [KafkaMessage] {
        try await client.take(maxCount: maxCount)
    }

    /// Marks these messages (and everything before them in their partitions) as done. The newest
    /// offset per partition wins, within the call and across calls: a message at or below one
    /// already stored for its partition (while this member owns it) changes nothing.
    public func storeOffsets(_ messages: some Sequence<KafkaMessage>) throws(KafkaError) {
        try client.storeOffsets(messages)
    }

    public func storeOffset(_ message: KafkaMessage) throws(KafkaError) {
        try client.storeOffsets(CollectionOfOne(message))
    }

    /// Commits the stored offsets now, waiting for the group coordinator's answer.
    public func commit() async throws(KafkaError) {
        try await client.commit()
    }

    /// The group's committed offsets (next offset to read) for the given partitions.
    public func committedOffsets(
        for partitions: Set<KafkaTopicPartition>,
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        try await client.committedOffsets(for: partitions, timeout: timeout)
    }

    /// Stops fetching from these partitions until ``resume(_:)``; survives back-pressure pauses.
    public func pause(_ partitions: Set<KafkaTopicPartition>) { client.pause(partitions) }

    public func resume(_ partitions: Set<KafkaTopicPartition>) { client.resume(partitions) }

    /// Partitions currently assigned to this member.
    public var assignment: Set<KafkaTopicPartition> { client.assignment }

    /// Consumer lag (high watermark minus committed offset) per assigned partition, from the last
    /// statistics report; empty until the first report.
    public var lag: [KafkaTopicPartition: Int64] { client.lag }

    /// Messages fetched but not yet taken by the application.
    public var bufferedCount: Int { client.buffer.count }

    /// Bytes of keys, values and headers fetched but not yet taken by the application.
    public var bufferedBytes: Int { client.buffer.byteCount }

    /// Leaves the group: the handler sees the final revoke, stored offsets are committed and the
    /// group left within `closeTimeout`, the handle is destroyed. Safe to call more than once.
    public func close() async {
        await client.close()
    }
}

/// ``KafkaConsumer/messages`` as an `AsyncSequence`. Pulls from the consumer's buffer in small
/// batches so that iterating costs one lock per batch, not per message.
public struct KafkaConsumerMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaMessage
    let consumer: KafkaConsumer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        var pending: [KafkaMessage] = []
        var index = 0

        public mutating func next() async throws -> KafkaMessage? {
            if index == pending.count {
                pending = try await consumer.nextBatch(maxCount: 256)
                index = 0
                if pending.isEmpty { return nil }
            }
            defer { index += 1 }
            return pending[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
}
