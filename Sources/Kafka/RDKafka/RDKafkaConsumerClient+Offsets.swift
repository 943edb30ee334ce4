internal import Crdkafka
import Dispatch
import Logging

// Offsets: stored per message as the application finishes it, never rewound, committed every commitInterval, on revoke and on close.
extension RDKafkaConsumerClient {
    /// Stores `offset + 1` of the newest message per partition; the next commit (periodic, on
    /// revoke, on close) makes it durable. Only ever moves forward, within a call and across
    /// calls: librdkafka keeps whatever offset it was given last, so offsets at or below what this
    /// member already stored for a partition it still owns are skipped (see ``StoredOffsetMarks``).
    func storeOffsets(_ messages: some Sequence<KafkaMessage>) throws(KafkaError) {
        // A batch holds runs of a few partitions: a short list with the last hit checked first
        // costs a comparison per message where a dictionary hashed each topic name.
        var runs: [(partition: KafkaTopicPartition, next: Int64)] = []
        var last = -1
        for message in messages {
            if last < 0 || runs[last].partition != message.topicPartition {
                last = runs.firstIndex { $0.partition == message.topicPartition } ?? -1
                if last < 0 {
                    runs.append((message.topicPartition, -1))
                    last = runs.count - 1
                }
            }
            runs[last].next = max(runs[last].next, message.offset + 1)
        }
        guard !runs.isEmpty else { return }
        let newest = Dictionary(runs, uniquingKeysWith: max)
        // The lock spans the store, so two concurrent calls reach librdkafka in the order their
        // marks were checked. It is never held while waiting on anything else: the poll thread
        // takes it only to forget marks, and rd_kafka_offsets_store does not wait on that thread.
        try storedOffsets.withLock { marks throws(KafkaError) in
            let advancing = marks.advancing(newest)
            guard !advancing.isEmpty else { return }
            let list = RDKafkaTopicPartitionList(capacity: advancing.count)
            for (tp, offset) in advancing { list.add(tp, offset: offset) }
            let result = lifetime.use { rd_kafka_offsets_store(handle.pointer, list.pointer) }
            guard let result else { throw .closed }
            let elements = list.elements
            guard result != RD_KAFKA_RESP_ERR_NO_ERROR else {
                // Some partitions may still have failed (revoked meanwhile): only the rest moved.
                for element in elements where element.error == RD_KAFKA_RESP_ERR_NO_ERROR {
                    marks.record(element.tp, element.offset)
                }
                return
            }
            // librdkafka fails the call when no partition could be stored; a partition that was
            // revoked meanwhile is not ours to store.
            let failed = elements.filter { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }
            let detail = failed.map { "\($0.tp): \(String(cString: rd_kafka_err2str($0.error)))" }.joined(
                separator: ", "
            )
            throw .librdkafka(
                .init(rawValue: (failed.first?.error ?? result).rawValue),
                reason: "store offsets: \(detail)"
            )
        }
    }

    /// Commits the stored offsets now and waits for the broker's answer.
    func commit() async throws(KafkaError) {
        let result: Result<Void, KafkaError> = await Blocking.run("kafka-commit") { [self] in
            let err = self.lifetime.use { rd_kafka_commit(self.handle.pointer, nil, 0) }
            guard let err else { return .failure(.closed) }
            if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return .success(()) }
            if let error = KafkaError.check(err, "commit") { return .failure(error) }
            return .success(())
        }
        try result.get()
    }

    /// The group's committed offsets for `partitions` (the next offset to read), as the broker has them.
    func committedOffsets(
        for partitions: Set<KafkaTopicPartition>,
        timeout: Duration
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let result: Result<[KafkaTopicPartition: Int64], KafkaError> = await Blocking.run("kafka-committed") { [self] in
            let list = RDKafkaTopicPartitionList(partitions)
            let err = self.lifetime.use {
                rd_kafka_committed(self.handle.pointer, list.pointer, Int32(timeout.milliseconds))
            }
            guard let err else { return .failure(.closed) }
            if let error = KafkaError.check(err, "fetch committed offsets") { return .failure(error) }
            var offsets: [KafkaTopicPartition: Int64] = [:]
            for element in list.elements where element.offset >= 0 { offsets[element.tp] = element.offset }
            return .success(offsets)
        }
        return try result.get()
    }

    /// Commits the stored offsets, waiting for the coordinator's answer at most until `deadline`.
    ///
    /// Not `rd_kafka_commit(rk, nil, 0)`: librdkafka's synchronous commit waits with no timeout
    /// while no group coordinator is reachable (in practice until the session times out, 45 s by
    /// default), on the poll thread, where nothing can cancel it. A stopping worker whose broker had
    /// gone sat there past its shutdown bound. The commit goes out asynchronously instead and its
    /// result is awaited on a queue of our own, for a bounded time; offsets it does not commit are
    /// re-read by the next owner, which at-least-once delivery allows.
    func commitStored(_ rk: RDKafkaHandle, context: String, until deadline: DispatchTime) {
        var err = RD_KAFKA_RESP_ERR__TIMED_OUT
        if let queue = rd_kafka_queue_new(rk.pointer) {
            err = rd_kafka_commit_queue(rk.pointer, nil, queue, nil, nil)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                if let event = rd_kafka_queue_poll(queue, Self.milliseconds(until: deadline)) {
                    err = rd_kafka_event_error(event)
                    rd_kafka_event_destroy(event)
                } else {
                    err = RD_KAFKA_RESP_ERR__TIMED_OUT
                }
            }
            // A reply that arrives later finds the queue gone and is dropped by librdkafka.
            rd_kafka_queue_destroy(queue)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
            logger.warning(
                "\(context) failed; the next owner re-reads from the last committed offset",
                metadata: ["error": "\(KafkaError.failure(err, context))"]
            )
        }
    }
}
