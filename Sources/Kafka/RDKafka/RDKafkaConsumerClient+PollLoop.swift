internal import Crdkafka
import Dispatch
import Foundation
import Logging

// The poll thread: fetches into the buffer, waits for room instead of pausing, reconciles pauses, copies messages out of librdkafka.
extension RDKafkaConsumerClient {
    /// The poll thread's body: polls batches into the buffer until close is requested, then closes
    /// the consumer on this same thread, since librdkafka wants a consumer closed by its poller.
    func pollLoop() {
        let local = PollThreadState()
        let limits = BatchLimits(
            messages: max(1, min(1024, configuration.bufferCapacity / 4)),
            bytes: max(1, configuration.bufferCapacityBytes / 4)
        )
        while !shared.withLock({ $0.closeRequested }) {
            if waitForRoom(local) { continue }
            reconcilePauses(local)
            rebalanced.store(false, ordering: .relaxed)
            let (batch, bytes) = pollBatch(limits, local)
            deliver(batch, bytes: bytes)
        }
        let held = revokeOnClose()
        let left = commitAndLeave(held)
        releaseHandle(left: left)
        finishClose()
    }

    struct BatchLimits {
        var messages: Int
        var bytes: Int
    }

    /// Up to `limits` of messages: the first poll waits up to the poll timeout, the rest take only
    /// what librdkafka already holds.
    private func pollBatch(_ limits: BatchLimits, _ local: PollThreadState) -> ([KafkaMessage], bytes: Int) {
        var batch: [KafkaMessage] = []
        batch.reserveCapacity(limits.messages)
        var timeout = Int32(configuration.pollTimeout.milliseconds)
        var batchBytes = 0
        while batch.count < limits.messages, batchBytes < limits.bytes,
            let message = rd_kafka_consumer_poll(handle.pointer, timeout)
        {
            timeout = 0
            defer { rd_kafka_message_destroy(message) }
            if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                logConsumeError(message)
                continue
            }
            let copied = Self.copy(message, topicNames: &local.topicNames)
            batchBytes += MessageBuffer.size(of: copied)
            batch.append(copied)
        }
        return (batch, batchBytes)
    }

    /// Hands a batch to the application, less what a rebalance during the poll took away: messages
    /// polled before a revoke in the same batch must not reach it.
    private func deliver(_ polled: [KafkaMessage], bytes polledBytes: Int) {
        var batch = polled
        var bytes = polledBytes
        if rebalanced.load(ordering: .relaxed) {
            let owned = assignment
            batch.removeAll { !owned.contains($0.topicPartition) }
            bytes = batch.reduce(0) { $0 + MessageBuffer.size(of: $1) }
        }
        guard !batch.isEmpty else { return }
        buffer.append(batch, bytes: bytes)
    }

    /// Hands everything back while the group is still stable: once leaving starts, the coordinator
    /// may already be rebalancing and refuse the commit, which would make the next owner re-read
    /// work this member finished. Returns the partitions held.
    private func revokeOnClose() -> Set<KafkaTopicPartition> {
        let held = assignment
        if !held.isEmpty {
            buffer.purge(held)
            logger.info("closing: revoking partitions", metadata: ["partitions": "\(held.sorted())"])
            runHandler(rebalanceHandler, .revoked(held))
        }
        return held
    }

    /// The broker work of closing (the final commit, leaving the group) under one bound; the
    /// application's handler has its own (rebalanceHandlerTimeout). Returns whether the member left.
    private func commitAndLeave(_ held: Set<KafkaTopicPartition>) -> Bool {
        let deadline = Self.deadline(after: configuration.closeTimeout)
        if !held.isEmpty {
            commitStored(handle, context: "commit on close", until: deadline)
            finalRevokeDone.store(true, ordering: .relaxed)
        }
        let left = leaveGroup(until: deadline)
        lifetime.retire()
        rd_kafka_queue_destroy(consumerQueue.pointer)
        return left
    }

    /// Destroys the handle without librdkafka's own close (done above, or given up on: destroy
    /// must not start its unbounded close again), or keeps it where destroying would harm.
    private func releaseHandle(left: Bool) {
        if destroyAbortsBeforeFirstAssignment && !assignedOnce.load(ordering: .acquiring) {
            // The member has left the group (or the coordinator drops it at its session timeout),
            // but destroying the handle could abort the whole process, skipping the caller's drain.
            // It is kept, silent, until the process exits: a few threads and sockets, released by
            // the exit that follows a stop, and never more than one per consumer closed this early.
            logger.notice(
                "closing before the first assignment: the librdkafka handle is kept until exit (librdkafka < 2.3.0 aborts destroying it, issue 4312)",
                metadata: ["librdkafka": "\(KafkaLibrary.version)"]
            )
            keepHandleUntilExit()
        } else if left {
            rd_kafka_destroy_flags(handle.pointer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE)
        } else {
            // Destroying it would wait for the group to terminate, which it does not do while the
            // coordinator is gone, and meanwhile librdkafka's main thread spins a whole core: a
            // terminating handle runs no timers, and an overdue one keeps the wait for the group
            // at a zero timeout. Nothing uses the handle any more (the leases are retired); it is
            // kept, silent, as above, and the coordinator drops the member at its session timeout.
            logger.notice("closing without having left the group: the librdkafka handle stays open until exit")
            keepHandleUntilExit()
        }
    }

    private func keepHandleUntilExit() {
        callbacks.silenced.store(true, ordering: .relaxed)
        _ = Unmanaged.passRetained(callbacks)  // librdkafka's threads keep calling through it
    }

    /// Ends the application's stream and wakes whoever awaits the close.
    private func finishClose() {
        buffer.finish()
        let waiters = shared.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            state.assignment = []
            defer { state.closeWaiters = [] }
            return state.closeWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// While the buffer is full, waits (without polling) for the application to drain it to the
    /// low-water mark, so librdkafka keeps its prefetched messages and nothing is fetched twice.
    /// Returns true after a wait, so the loop re-checks close and pause requests. Returns false
    /// when there is room, or when the application has been stalled for `backpressureGrace`: the
    /// caller then pauses every partition and keeps polling, so rebalances are still served.
    private func waitForRoom(_ local: PollThreadState) -> Bool {
        guard buffer.isBackpressureActive else {
            local.fullSince = nil
            return false
        }
        if local.pausedForBackpressure { return false }
        let now = DispatchTime.now()
        let since = local.fullSince ?? now
        local.fullSince = since
        let deadline = since + .milliseconds(Int(configuration.backpressureGrace.milliseconds))
        guard now < deadline else { return false }
        buffer.waitForRoom(until: deadline)
        return true
    }

    /// Applies the pause set the application and back-pressure ask for, on the poll thread only.
    func reconcilePauses(_ local: PollThreadState) {
        let backpressure = buffer.isBackpressureActive
        let (assigned, applicationPaused, paused) = shared.withLock {
            ($0.assignment, $0.applicationPaused, $0.fetchPaused)
        }
        let desired = backpressure ? assigned : applicationPaused.intersection(assigned)
        let toPause = desired.subtracting(paused)
        let toResume = paused.subtracting(desired).intersection(assigned)
        if !toPause.isEmpty {
            let list = RDKafkaTopicPartitionList(toPause)
            if let error = KafkaError.check(rd_kafka_pause_partitions(handle.pointer, list.pointer), "pause") {
                logger.warning("pausing partitions failed", metadata: ["error": "\(error)"])
            }
            logger.debug(
                "paused partitions",
                metadata: ["partitions": "\(toPause.sorted())", "backpressure": "\(backpressure)"]
            )
        }
        if !toResume.isEmpty {
            let list = RDKafkaTopicPartitionList(toResume)
            if let error = KafkaError.check(rd_kafka_resume_partitions(handle.pointer, list.pointer), "resume") {
                logger.warning("resuming partitions failed", metadata: ["error": "\(error)"])
            }
            logger.debug("resumed partitions", metadata: ["partitions": "\(toResume.sorted())"])
        }
        shared.withLock { $0.fetchPaused = desired }
        local.pausedForBackpressure = backpressure
    }

    func handleStatistics(_ json: String) {
        guard let lag = RDKafkaStatistics.consumerLag(fromJSON: json) else { return }
        shared.withLock { state in
            state.lag = lag.filter { state.assignment.contains($0.key) }
        }
    }

    private func logConsumeError(_ message: UnsafeMutablePointer<rd_kafka_message_t>) {
        let err = message.pointee.err
        let text = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? ""
        logger.warning(
            "consume error",
            metadata: ["error": "\(KafkaError.librdkafka(.init(rawValue: err.rawValue), reason: text))"]
        )
    }

    private static func copy(
        _ message: UnsafeMutablePointer<rd_kafka_message_t>,
        topicNames: inout [OpaquePointer: String]
    ) -> KafkaMessage {
        let m = message.pointee
        let topic: String
        if let rkt = m.rkt {
            if let cached = topicNames[rkt] {
                topic = cached
            } else {
                topic = String(cString: rd_kafka_topic_name(rkt))
                topicNames[rkt] = topic
            }
        } else {
            topic = ""
        }
        let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        let value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) }
        var headers: [KafkaHeader] = []
        var hdrs: OpaquePointer?
        if rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
            var index = 0
            var name: UnsafePointer<CChar>?
            var valuePointer: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(hdrs, index, &name, &valuePointer, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let headerValue = valuePointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: headerValue))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaMessage(
            topicPartition: KafkaTopicPartition(topic: topic, partition: m.partition),
            offset: m.offset,
            key: key,
            value: value,
            headers: headers,
            timestampMilliseconds: timestamp >= 0 ? timestamp : nil
        )
    }
}
