internal import Crdkafka
import Dispatch
import Logging

// Rebalances: assignments and revocations, served on the poll thread, with the application's handler told of each.
extension RDKafkaConsumerClient {
    /// Runs inside `rd_kafka_consumer_poll` / `leaveGroup` on the poll thread.
    func handleRebalance(
        _ rk: RDKafkaHandle,
        _ code: rd_kafka_resp_err_t,
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) {
        let partitions = RDKafkaTopicPartitionList.partitions(borrowing: list)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk.pointer)) == "COOPERATIVE"
        switch code {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            // librdkafka ran the assignor's on-assignment hook before this callback.
            assignedOnce.store(true, ordering: .releasing)
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk.pointer, list) {
                    logger.error(
                        "incremental assign failed",
                        metadata: ["error": "\(KafkaError.consume(error, "assign"))"]
                    )
                }
            } else if let error = KafkaError.check(rd_kafka_assign(rk.pointer, list), "assign") {
                logger.error("assign failed", metadata: ["error": "\(error)"])
            }
            // A partition paused before an earlier revoke may come back still paused: start clean,
            // and let reconcilePauses re-apply whatever is wanted now. It must then count as not
            // paused, or reconcilePauses would take a wanted pause as already applied and let the
            // partition be fetched (a revoke and this assign can both run inside one poll call).
            shared.withLock { state in
                state.assignment.formUnion(partitions)
                state.fetchPaused.subtract(partitions)
            }
            storedOffsets.withLock { $0.forget(partitions) }
            if !partitions.isEmpty {
                let resumeList = RDKafkaTopicPartitionList(partitions)
                _ = rd_kafka_resume_partitions(rk.pointer, resumeList.pointer)
            }
            logger.info("partitions assigned", metadata: ["partitions": "\(partitions.sorted())"])
            runHandler(rebalanceHandler, .assigned(partitions))

        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk.pointer) != 0
            buffer.purge(partitions)
            if !finalRevokeDone.load(ordering: .relaxed) {
                logger.info(
                    lost ? "partitions lost" : "partitions revoked",
                    metadata: ["partitions": "\(partitions.sorted())"]
                )
                runHandler(rebalanceHandler, lost ? .lost(partitions) : .revoked(partitions))
                if !lost {
                    // The application had its chance to store offsets; make them durable before the
                    // partitions move, so the next owner starts exactly after the last finished message.
                    commitStored(
                        rk,
                        context: "commit on revoke",
                        until: .now() + .milliseconds(Int(configuration.closeTimeout.milliseconds))
                    )
                }
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk.pointer, list) {
                    logger.error(
                        "incremental unassign failed",
                        metadata: ["error": "\(KafkaError.consume(error, "unassign"))"]
                    )
                }
            } else {
                _ = rd_kafka_assign(rk.pointer, nil)
            }
            shared.withLock { state in
                if cooperative { state.assignment.subtract(partitions) } else { state.assignment = [] }
                state.applicationPaused.subtract(partitions)
                state.fetchPaused.subtract(partitions)
                state.lag = state.lag.filter { !partitions.contains($0.key) }
            }
            storedOffsets.withLock { $0.forget(partitions) }

        default:
            logger.error("rebalance error", metadata: ["error": "\(KafkaError.failure(code, "rebalance"))"])
            _ = rd_kafka_assign(rk.pointer, nil)
            shared.withLock { state in
                state.assignment = []
                state.fetchPaused = []
            }
            storedOffsets.withLock { $0.forgetAll() }
        }
        rebalanced.store(true, ordering: .relaxed)
    }

    /// Waits, on the poll thread, for the application's handler (it runs as a task on the pool).
    func runHandler(_ handler: KafkaRebalanceHandler?, _ event: KafkaRebalanceEvent) {
        guard let handler else { return }
        let done = DispatchSemaphore(value: 0)
        Task {
            await handler(event)
            done.signal()
        }
        let deadline = Self.deadline(after: configuration.rebalanceHandlerTimeout)
        if done.wait(timeout: deadline) == .timedOut {
            logger.warning(
                "rebalance handler did not return in time; continuing the rebalance",
                metadata: ["event": "\(event)", "timeout": "\(configuration.rebalanceHandlerTimeout)"]
            )
        }
    }
}
