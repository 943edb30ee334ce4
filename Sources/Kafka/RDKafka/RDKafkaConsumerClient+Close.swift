internal import Crdkafka
import Dispatch
import Logging

// Closing: the application asks, the poll thread leaves the group within closeTimeout and destroys the handle.
extension RDKafkaConsumerClient {
    /// Leaves the group cleanly: the rebalance handler sees the final revoke, stored offsets are
    /// committed and the group is left within `closeTimeout` (what is not committed by then is
    /// re-read by the next owner), the handle is destroyed, and buffered messages not yet taken
    /// are dropped.
    func close() async {
        await withCheckedContinuation { continuation in
            let alreadyClosed = shared.withLock { state -> Bool in
                state.closeRequested = true
                if state.closed { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if alreadyClosed { continuation.resume() }
            wakePollThread()
        }
    }

    /// Asks for close without waiting (used when the owner is deinitialised).
    func requestClose() {
        shared.withLock { $0.closeRequested = true }
        wakePollThread()
    }

    func wakePollThread() {
        buffer.wakePollThread()
        lifetime.use { rd_kafka_queue_yield(consumerQueue.pointer) }
    }

    /// Leaves the group, serving the final revoke through handleRebalance on this thread, for at
    /// most until `deadline`. Not `rd_kafka_consumer_close`: like the synchronous commit, it waits
    /// for the coordinator with no timeout of its own (it commits the unassigned partitions and
    /// sends LeaveGroup), which with the broker gone took another session timeout.
    /// Returns whether the group was left in time.
    func leaveGroup(until deadline: DispatchTime) -> Bool {
        guard let queue = rd_kafka_queue_new(handle.pointer) else { return false }
        defer { rd_kafka_queue_destroy(queue) }
        if let error = rd_kafka_consumer_close_queue(handle.pointer, queue) {
            logger.warning(
                "consumer close reported an error",
                metadata: ["error": "\(KafkaError.consume(error, "close consumer"))"]
            )
            return false
        }
        while rd_kafka_consumer_closed(handle.pointer) == 0 {
            let remaining = Self.milliseconds(until: deadline)
            guard remaining > 0 else {
                logger.warning(
                    "leaving the group timed out; the coordinator drops this member once its session times out",
                    metadata: ["timeout": "\(configuration.closeTimeout)"]
                )
                return false
            }
            // Events, not rd_kafka_queue_poll_callback: close forwards the consumer queue here, and
            // a fetched message or a consumer error still in it cannot be served as a callback;
            // librdkafka 2.0.2 then asserts (`rd_kafka_q_serve: assert: res != RD_KAFKA_OP_RES_PASS`)
            // and the stop aborts. A rebalance (the final revoke) is handled as its callback would
            // be; the rest is dropped: this member is leaving, and what it fetched and did not
            // finish is re-read by the next owner.
            guard let event = rd_kafka_queue_poll(queue, min(remaining, 100)) else { continue }
            if rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE {
                handleRebalance(handle, rd_kafka_event_error(event), rd_kafka_event_topic_partition_list(event))
            }
            rd_kafka_event_destroy(event)
        }
        return true
    }

    /// Milliseconds left until `deadline`, as librdkafka's timeouts take them (0 once it passed).
    static func deadline(after duration: Duration) -> DispatchTime {
        DispatchTime.now() + .milliseconds(Int(duration.milliseconds))
    }

    static func milliseconds(until deadline: DispatchTime) -> Int32 {
        let now = DispatchTime.now().uptimeNanoseconds
        guard deadline.uptimeNanoseconds > now else { return 0 }
        return Int32(clamping: (deadline.uptimeNanoseconds - now + 999_999) / 1_000_000)
    }
}
