internal import Crdkafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// Owns a consumer `rd_kafka_t` and the dedicated thread that polls it.
///
/// Every call that can block (poll, the rebalance protocol, commit during revoke, close, destroy)
/// runs on that thread, never on Swift's cooperative pool; a destroy still waiting for a gone
/// coordinator when close has used its bound finishes on a detached thread of its own. The thread also owns pause state, so
/// application pauses and back-pressure pauses are reconciled in one place.
final class RDKafkaConsumerClient: Sendable {
    private struct Shared {
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
    private final class PollThreadState {
        /// Whether the last reconciliation paused every assigned partition for back-pressure.
        var pausedForBackpressure = false
        /// When the buffer was found full and the poll thread started waiting for room.
        var fullSince: DispatchTime?
        var topicNames: [OpaquePointer: String] = [:]
    }

    let buffer: MessageBuffer
    private let handle: RDKafkaHandle
    private let consumerQueue: RDKafkaQueue
    private let callbacks: RDKafkaCallbacks
    private let shared = Mutex(Shared())
    /// Set by the rebalance callback so the poll loop re-checks the batch it is assembling.
    private let rebalanced = Atomic<Bool>(false)

    /// Commits the stored offsets, waiting for the coordinator's answer at most until `deadline`.
    ///
    /// Not `rd_kafka_commit(rk, nil, 0)`: librdkafka's synchronous commit waits with no timeout
    /// while no group coordinator is reachable (in practice until the session times out, 45 s by
    /// default), on the poll thread, where nothing can cancel it. A stopping worker whose broker had
    /// gone sat there past its shutdown bound. The commit goes out asynchronously instead and its
    /// result is awaited on a queue of our own, for a bounded time; offsets it does not commit are
    /// re-read by the next owner, which at-least-once delivery allows.
    private func commitStored(_ rk: RDKafkaHandle, context: String, until deadline: DispatchTime) {
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
            logger.warning("\(context) failed; the next owner re-reads from the last committed offset",
                           metadata: ["error": "\(KafkaError.check(err, context)!)"])
        }
    }

    /// Milliseconds left until `deadline`, as librdkafka's timeouts take them (0 once it passed).
    private static func deadline(after duration: Duration) -> DispatchTime {
        DispatchTime.now() + .milliseconds(Int(duration.milliseconds))
    }

    private static func milliseconds(until deadline: DispatchTime) -> Int32 {
        let now = DispatchTime.now().uptimeNanoseconds
        guard deadline.uptimeNanoseconds > now else { return 0 }
        return Int32(clamping: (deadline.uptimeNanoseconds - now + 999_999) / 1_000_000)
    }
    /// Leases on the handle for other threads, so the poll thread never destroys it underneath them.
    private let lifetime = HandleLifetime()
    /// What `storeOffsets` has stored per owned partition; forgotten on assign and revoke.
    private let storedOffsets = Mutex(StoredOffsetMarks())
    private let configuration: KafkaConsumerConfiguration
    private let logger: Logger
    private let rebalanceHandler: KafkaRebalanceHandler?
    /// Set once the close path has already revoked everything, so the revoke librdkafka runs
    /// while leaving the group (`leaveGroup`) does not call the handler a second time.
    private let finalRevokeDone = Atomic<Bool>(false)
    /// Whether this librdkafka would abort destroying the handle before its first assignment
    /// (``LibrdkafkaVersion/destroyAbortsBeforeFirstAssignment``) with the strategy configured.
    private let destroyAbortsBeforeFirstAssignment: Bool
    /// Set by the first assignment the group hands this member (empty ones included): from then
    /// on the assignor's state exists and the handle can be destroyed on any librdkafka.
    private let assignedOnce = Atomic<Bool>(false)

    init(configuration: KafkaConsumerConfiguration, logger: Logger, rebalanceHandler: KafkaRebalanceHandler?) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        self.rebalanceHandler = rebalanceHandler
        let buffer = MessageBuffer(capacity: configuration.bufferCapacity, byteCapacity: configuration.bufferCapacityBytes)
        self.buffer = buffer
        let properties = try configuration.librdkafkaProperties()
        destroyAbortsBeforeFirstAssignment = LibrdkafkaVersion.destroyAbortsBeforeFirstAssignment
            && LibrdkafkaVersion.selectsCooperativeSticky(properties["partition.assignment.strategy"] ?? "")
        let conf = try RDKafkaConfig.make(properties)

        // The callbacks need `self`, which does not exist yet: route them through a box filled below.
        let box = WeakReference<RDKafkaConsumerClient>()
        let onRebalance: @Sendable (RDKafkaHandle, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> Void = {
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
        let callbacks = RDKafkaCallbacks(logger: logger, onRebalance: onRebalance, onStatistics: onStatistics, onError: onError)
        callbacks.install(on: conf)
        self.callbacks = callbacks
        handle = try RDKafkaConfig.newHandle(type: RD_KAFKA_CONSUMER, conf: conf)
        rd_kafka_poll_set_consumer(handle.pointer)
        consumerQueue = RDKafkaQueue(pointer: rd_kafka_queue_get_consumer(handle.pointer)!)

        let topics = RDKafkaTopicPartitionList(capacity: configuration.topics.count)
        for topic in configuration.topics {
            topics.add(KafkaTopicPartition(topic: topic, partition: RD_KAFKA_PARTITION_UA))
        }
        if let error = KafkaError.check(rd_kafka_subscribe(handle.pointer, topics.pointer), "subscribe to \(configuration.topics)") {
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

    /// Stores `offset + 1` of the newest message per partition; the next commit (periodic, on
    /// revoke, on close) makes it durable. Only ever moves forward, within a call and across
    /// calls: librdkafka keeps whatever offset it was given last, so offsets at or below what this
    /// member already stored for a partition it still owns are skipped (see ``StoredOffsetMarks``).
    func storeOffsets(_ messages: some Sequence<KafkaMessage>) throws(KafkaError) {
        var newest: [KafkaTopicPartition: Int64] = [:]
        for message in messages {
            newest[message.topicPartition] = max(newest[message.topicPartition] ?? -1, message.offset + 1)
        }
        guard !newest.isEmpty else { return }
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
            let detail = failed.map { "\($0.tp): \(String(cString: rd_kafka_err2str($0.error)))" }.joined(separator: ", ")
            throw .librdkafka(.init(rawValue: (failed.first?.error ?? result).rawValue), reason: "store offsets: \(detail)")
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
    func committedOffsets(for partitions: Set<KafkaTopicPartition>, timeout: Duration) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let result: Result<[KafkaTopicPartition: Int64], KafkaError> = await Blocking.run("kafka-committed") { [self] in
            let list = RDKafkaTopicPartitionList(partitions)
            let err = self.lifetime.use { rd_kafka_committed(self.handle.pointer, list.pointer, Int32(timeout.milliseconds)) }
            guard let err else { return .failure(.closed) }
            if let error = KafkaError.check(err, "fetch committed offsets") { return .failure(error) }
            var offsets: [KafkaTopicPartition: Int64] = [:]
            for element in list.elements where element.offset >= 0 { offsets[element.tp] = element.offset }
            return .success(offsets)
        }
        return try result.get()
    }

    func pause(_ partitions: Set<KafkaTopicPartition>) {
        shared.withLock { $0.applicationPaused.formUnion(partitions) }
        wakePollThread()
    }

    func resume(_ partitions: Set<KafkaTopicPartition>) {
        shared.withLock { $0.applicationPaused.subtract(partitions) }
        wakePollThread()
    }

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

    private func wakePollThread() {
        buffer.wakePollThread()
        lifetime.use { rd_kafka_queue_yield(consumerQueue.pointer) }
    }

    // MARK: - Poll thread

    private func pollLoop() {
        let local = PollThreadState()
        let pollTimeout = Int32(configuration.pollTimeout.milliseconds)
        let maxBatch = max(1, min(1024, configuration.bufferCapacity / 4))
        let maxBatchBytes = max(1, configuration.bufferCapacityBytes / 4)
        var batch: [KafkaMessage] = []
        batch.reserveCapacity(maxBatch)

        while !shared.withLock({ $0.closeRequested }) {
            if waitForRoom(local) { continue }
            reconcilePauses(local)
            rebalanced.store(false, ordering: .relaxed)
            var timeout = pollTimeout
            var batchBytes = 0
            while batch.count < maxBatch, batchBytes < maxBatchBytes, let message = rd_kafka_consumer_poll(handle.pointer, timeout) {
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
            if rebalanced.load(ordering: .relaxed) {
                // Messages polled before a revoke in this same batch must not reach the application.
                let owned = assignment
                batch.removeAll { !owned.contains($0.topicPartition) }
            }
            if !batch.isEmpty {
                buffer.append(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }

        // Hand everything back while the group is still stable: once leaving starts, the coordinator may already be rebalancing and refuse the commit, which would
        // make the next owner re-read work this member finished.
        let held = assignment
        if !held.isEmpty {
            buffer.purge(held)
            logger.info("closing: revoking partitions", metadata: ["partitions": "\(held.sorted())"])
            runHandler(rebalanceHandler, .revoked(held))
        }
        // The broker work of closing (the final commit, leaving the group) shares one bound; the
        // application's handler above has its own (rebalanceHandlerTimeout).
        let deadline = Self.deadline(after: configuration.closeTimeout)
        if !held.isEmpty {
            commitStored(handle, context: "commit on close", until: deadline)
            finalRevokeDone.store(true, ordering: .relaxed)
        }
        let left = leaveGroup(until: deadline)
        lifetime.retire()
        rd_kafka_queue_destroy(consumerQueue.pointer)
        // Closed above (or given up on): destroy must not start librdkafka's unbounded close again.
        let handle = handle, callbacks = callbacks
        if destroyAbortsBeforeFirstAssignment && !assignedOnce.load(ordering: .acquiring) {
            // The member has left the group (or the coordinator drops it at its session timeout),
            // but destroying the handle could abort the whole process, skipping the caller's drain.
            // It is kept, silent, until the process exits: a few threads and sockets, released by
            // the exit that follows a stop, and never more than one per consumer closed this early.
            logger.notice("closing before the first assignment: the librdkafka handle is kept until exit (librdkafka < 2.3.0 aborts destroying it, issue 4312)",
                          metadata: ["librdkafka": "\(KafkaLibrary.version)"])
            callbacks.silenced.store(true, ordering: .relaxed)
            _ = Unmanaged.passRetained(callbacks)  // librdkafka's threads keep calling through it
        } else if left {
            rd_kafka_destroy_flags(handle.pointer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE)
        } else {
            // rd_kafka_destroy still waits for the group to terminate, which it does only once
            // the coordinator answers or the session times out. Nothing uses the handle any more
            // (the leases are retired), so that wait need not hold up close: the handle is torn
            // down on a thread of its own, and a stopping process may exit before it is done.
            Thread.detachNewThread {
                rd_kafka_destroy_flags(handle.pointer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE)
                _ = callbacks  // must outlive rd_kafka_destroy
            }
        }
        buffer.finish()
        let waiters = shared.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            state.assignment = []
            defer { state.closeWaiters = [] }
            return state.closeWaiters
        }
        _ = callbacks  // must outlive rd_kafka_destroy above (the detached thread holds its own reference)
        waiters.forEach { $0.resume() }
    }

    /// Leaves the group, serving the final revoke through handleRebalance on this thread, for at
    /// most until `deadline`. Not `rd_kafka_consumer_close`: like the synchronous commit, it waits
    /// for the coordinator with no timeout of its own (it commits the unassigned partitions and
    /// sends LeaveGroup), which with the broker gone took another session timeout.
    /// Returns whether the group was left in time.
    private func leaveGroup(until deadline: DispatchTime) -> Bool {
        guard let queue = rd_kafka_queue_new(handle.pointer) else { return false }
        defer { rd_kafka_queue_destroy(queue) }
        if let error = rd_kafka_consumer_close_queue(handle.pointer, queue) {
            logger.warning("consumer close reported an error", metadata: ["error": "\(KafkaError.consume(error, "close consumer"))"])
            return false
        }
        while rd_kafka_consumer_closed(handle.pointer) == 0 {
            let remaining = Self.milliseconds(until: deadline)
            guard remaining > 0 else {
                logger.warning("leaving the group timed out; the coordinator drops this member once its session times out",
                               metadata: ["timeout": "\(configuration.closeTimeout)"])
                return false
            }
            // Events, not rd_kafka_queue_poll_callback: close forwards the consumer queue here, and
            // a fetched message or a consumer error still in it cannot be served as a callback;
            // librdkafka 2.0.2 then asserts (`rd_kafka_q_serve: assert: res != RD_KAFKA_OP_RES_PASS`)
            // and the stop aborts (found by the chaos soak's SIGTERMs). A rebalance (the final
            // revoke) is handled as its callback would be; the rest is dropped: this member is
            // leaving, and what it fetched and did not finish is re-read by the next owner.
            guard let event = rd_kafka_queue_poll(queue, min(remaining, 100)) else { continue }
            if rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE {
                handleRebalance(handle, rd_kafka_event_error(event), rd_kafka_event_topic_partition_list(event))
            }
            rd_kafka_event_destroy(event)
        }
        return true
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
    private func reconcilePauses(_ local: PollThreadState) {
        let backpressure = buffer.isBackpressureActive
        let (assigned, applicationPaused, paused) = shared.withLock { ($0.assignment, $0.applicationPaused, $0.fetchPaused) }
        let desired = backpressure ? assigned : applicationPaused.intersection(assigned)
        let toPause = desired.subtracting(paused)
        let toResume = paused.subtracting(desired).intersection(assigned)
        if !toPause.isEmpty {
            let list = RDKafkaTopicPartitionList(toPause)
            if let error = KafkaError.check(rd_kafka_pause_partitions(handle.pointer, list.pointer), "pause") {
                logger.warning("pausing partitions failed", metadata: ["error": "\(error)"])
            }
            logger.debug("paused partitions", metadata: ["partitions": "\(toPause.sorted())", "backpressure": "\(backpressure)"])
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

    /// Runs inside `rd_kafka_consumer_poll` / `leaveGroup` on the poll thread.
    private func handleRebalance(
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
                    logger.error("incremental assign failed", metadata: ["error": "\(KafkaError.consume(error, "assign"))"])
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
                logger.info(lost ? "partitions lost" : "partitions revoked", metadata: ["partitions": "\(partitions.sorted())"])
                runHandler(rebalanceHandler, lost ? .lost(partitions) : .revoked(partitions))
                if !lost {
                    // The application had its chance to store offsets; make them durable before the
                    // partitions move, so the next owner starts exactly after the last finished message.
                    commitStored(rk, context: "commit on revoke",
                                 until: .now() + .milliseconds(Int(configuration.closeTimeout.milliseconds)))
                }
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk.pointer, list) {
                    logger.error("incremental unassign failed", metadata: ["error": "\(KafkaError.consume(error, "unassign"))"])
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
            logger.error("rebalance error", metadata: ["error": "\(KafkaError.check(code, "rebalance")!)"])
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
    private func runHandler(_ handler: KafkaRebalanceHandler?, _ event: KafkaRebalanceEvent) {
        guard let handler else { return }
        let done = DispatchSemaphore(value: 0)
        Task {
            await handler(event)
            done.signal()
        }
        let deadline = Self.deadline(after: configuration.rebalanceHandlerTimeout)
        if done.wait(timeout: deadline) == .timedOut {
            logger.warning("rebalance handler did not return in time; continuing the rebalance",
                           metadata: ["event": "\(event)", "timeout": "\(configuration.rebalanceHandlerTimeout)"])
        }
    }

    private func handleStatistics(_ json: String) {
        guard let lag = RDKafkaStatistics.consumerLag(fromJSON: json) else { return }
        shared.withLock { state in
            state.lag = lag.filter { state.assignment.contains($0.key) }
        }
    }

    private func logConsumeError(_ message: UnsafeMutablePointer<rd_kafka_message_t>) {
        let err = message.pointee.err
        let text = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? ""
        logger.warning("consume error", metadata: ["error": "\(KafkaError.librdkafka(.init(rawValue: err.rawValue), reason: text))"])
    }

    private static func copy(_ message: UnsafeMutablePointer<rd_kafka_message_t>, topicNames: inout [OpaquePointer: String]) -> KafkaMessage {
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

/// An `rd_kafka_queue_t *`; thread-safe like the handle it belongs to (see ``RDKafkaHandle``).
struct RDKafkaQueue: @unchecked Sendable {
    let pointer: OpaquePointer
}
