internal import Crdkafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// Owns a consumer `rd_kafka_t` and the dedicated thread that polls it.
///
/// Every call that can block (poll, the rebalance protocol, commit during revoke, close, destroy)
/// runs on that thread, never on Swift's cooperative pool; a destroy still waiting for a gone
/// coordinator when close has used its bound finishes on a detached thread of its own. The thread
/// also owns pause state, so application pauses and back-pressure pauses are reconciled in one
/// place. Its parts: `+PollLoop` (fetching and back-pressure), `+Rebalance`, `+Offsets`, `+Close`.
final class RDKafkaConsumerClient: Sendable {
    struct Shared {
        var assignment: Set<KafkaTopicPartition> = []
        var applicationPaused: Set<KafkaTopicPartition> = []
        var lag: [KafkaTopicPartition: Int64] = [:]
        /// Partitions the poll thread has paused in librdkafka. Only the poll thread touches it
        /// (``reconcilePauses(_:)`` and the rebalance callback, which librdkafka runs on that
        /// thread); it lives here, not in ``PollThreadState``, because the callback must clear
        /// what it resumes and has no access to the loop's state.
        var fetchPaused: Set<KafkaTopicPartition> = []
        var closeRequested = false
        var closed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// State only the poll thread touches. Kept in a class so the thread can mutate it without locks.
    final class PollThreadState {
        /// Whether the last reconciliation paused every assigned partition for back-pressure.
        var pausedForBackpressure = false
        /// When the buffer was found full and the poll thread started waiting for room.
        var fullSince: DispatchTime?
        var topicNames: [OpaquePointer: String] = [:]
    }

    let buffer: MessageBuffer
    let handle: RDKafkaHandle
    let consumerQueue: RDKafkaQueue
    let callbacks: RDKafkaCallbacks
    let shared = Mutex(Shared())
    /// Set by the rebalance callback so the poll loop re-checks the batch it is assembling.
    let rebalanced = Atomic<Bool>(false)

    /// Leases on the handle for other threads, so the poll thread never destroys it underneath them.
    let lifetime = HandleLifetime()
    /// What `storeOffsets` has stored per owned partition; forgotten on assign and revoke.
    let storedOffsets = Mutex(StoredOffsetMarks())
    let configuration: KafkaConsumerConfiguration
    let logger: Logger
    let rebalanceHandler: KafkaRebalanceHandler?
    /// Set once the close path has already revoked everything, so the revoke librdkafka runs
    /// while leaving the group (`leaveGroup`) does not call the handler a second time.
    let finalRevokeDone = Atomic<Bool>(false)
    /// Whether this librdkafka would abort destroying the handle before its first assignment
    /// (``LibrdkafkaVersion/destroyAbortsBeforeFirstAssignment``) with the strategy configured.
    let destroyAbortsBeforeFirstAssignment: Bool
    /// Set by the first assignment the group hands this member (empty ones included): from then
    /// on the assignor's state exists and the handle can be destroyed on any librdkafka.
    let assignedOnce = Atomic<Bool>(false)

    init(
        configuration: KafkaConsumerConfiguration,
        logger: Logger,
        rebalanceHandler: KafkaRebalanceHandler?
    ) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        self.rebalanceHandler = rebalanceHandler
        let buffer = MessageBuffer(
            capacity: configuration.bufferCapacity,
            byteCapacity: configuration.bufferCapacityBytes
        )
        self.buffer = buffer
        let properties = try configuration.librdkafkaProperties()
        destroyAbortsBeforeFirstAssignment =
            LibrdkafkaVersion.destroyAbortsBeforeFirstAssignment
            && LibrdkafkaVersion.selectsCooperativeSticky(properties["partition.assignment.strategy"] ?? "")
        let conf = try RDKafkaConfig.make(properties)

        // The callbacks need `self`, which does not exist yet: route them through a box filled below.
        let box = WeakReference<RDKafkaConsumerClient>()
        let onRebalance:
            @Sendable (RDKafkaHandle, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) ->
                Void = {
                    box.value?.handleRebalance($0, $1, $2)
                }
        var onStatistics: (@Sendable (String) -> Void)?
        if configuration.statisticsInterval != nil {
            onStatistics = { box.value?.handleStatistics($0) }
        }
        let onError: @Sendable (KafkaError, Bool) -> Void = { error, isFatal in
            if isFatal {
                logger.error("fatal Kafka consumer error", metadata: ["error": "\(error)"])
                buffer.finish(error: error)
            } else {
                logger.warning("Kafka consumer error", metadata: ["error": "\(error)"])
            }
        }
        let callbacks = RDKafkaCallbacks(
            logger: logger,
            onRebalance: onRebalance,
            onStatistics: onStatistics,
            onError: onError
        )
        callbacks.install(on: conf)
        self.callbacks = callbacks
        handle = try RDKafkaConfig.newHandle(type: RD_KAFKA_CONSUMER, conf: conf)
        rd_kafka_poll_set_consumer(handle.pointer)
        consumerQueue = RDKafkaQueue(pointer: rd_kafka_queue_get_consumer(handle.pointer)!)

        let topics = RDKafkaTopicPartitionList(capacity: configuration.topics.count)
        for topic in configuration.topics {
            topics.add(KafkaTopicPartition(topic: topic, partition: RD_KAFKA_PARTITION_UA))
        }
        if let error = KafkaError.check(
            rd_kafka_subscribe(handle.pointer, topics.pointer),
            "subscribe to \(configuration.topics)"
        ) {
            rd_kafka_queue_destroy(consumerQueue.pointer)
            rd_kafka_destroy(handle.pointer)
            throw error
        }
        box.value = self

        let thread = Thread { [self] in self.pollLoop() }
        thread.name = "kafka-consumer-poll"
        thread.start()
    }

    // MARK: - Application-facing operations (any thread)

    var assignment: Set<KafkaTopicPartition> { shared.withLock { $0.assignment } }
    var lag: [KafkaTopicPartition: Int64] { shared.withLock { $0.lag } }

    func take(maxCount: Int) async throws -> [KafkaMessage] {
        let (messages, resumed) = try await buffer.take(maxCount: maxCount)
        if resumed { wakePollThread() }
        return messages
    }

    func pause(_ partitions: Set<KafkaTopicPartition>) {
        shared.withLock { $0.applicationPaused.formUnion(partitions) }
        wakePollThread()
    }

    func resume(_ partitions: Set<KafkaTopicPartition>) {
        shared.withLock { $0.applicationPaused.subtract(partitions) }
        wakePollThread()
    }

    // MARK: - Poll thread

}

/// An `rd_kafka_queue_t *`; thread-safe like the handle it belongs to (see ``RDKafkaHandle``).
struct RDKafkaQueue: @unchecked Sendable {
    let pointer: OpaquePointer
}
