import Kafka
import Logging
import PayoutEngine
import ServiceLifecycle
import Synchronization

/// Reads `payouts.commands` and records each batch durably through the engine; only then stores
/// the batch's offsets. Invalid and conflicting records go to the dead-letter topic first.
/// Slow payouts never block a partition: intake only records, the engine executes from the store.
/// When Dollr rate-limits or is unreachable, intake pauses its partitions and resumes by itself.
final class IntakeService: Service, Sendable {
    let consumer: KafkaConsumer
    private let engine: PayoutEngine
    private let producer: KafkaProducer
    private let configuration: WorkerConfiguration
    private let metrics: WorkerMetrics
    private let logger: Logger
    private let gate: IntakeGate
    private let worker: String
    private let joinedFlag: JoinFlag

    /// Whether the consumer has had its first assignment (the group is joined), for readiness.
    var hasJoined: Bool { joinedFlag.value.load(ordering: .relaxed) }

    /// The intake consumer's settings: the group, the commands topic, and the file's properties.
    static func consumerConfiguration(_ configuration: WorkerConfiguration) -> KafkaConsumerConfiguration {
        var consumerConfiguration = KafkaConsumerConfiguration(
            bootstrapServers: configuration.kafka.brokers,
            groupID: configuration.kafka.groupID,
            topics: [configuration.kafka.commandsTopic]
        )
        consumerConfiguration.clientID = PayoutWorkerRuntime.kafkaClientID
        consumerConfiguration.groupInstanceID = configuration.kafka.groupInstanceID
        consumerConfiguration.bufferCapacity = max(2, configuration.intakeBatchSize * 4)
        consumerConfiguration.bufferCapacityBytes = configuration.kafka.bufferMaxBytes
        // Offsets are stored only once intake has made the commands durable; committing them
        // every second (not librdkafka's 5 s) shrinks what a killed worker's successor reads
        // again. Each re-read command is an identical duplicate and re-publishes its latest
        // status event: harmless, but noise for every subscriber.
        consumerConfiguration.commitInterval = .seconds(1)
        consumerConfiguration.closeTimeout = PayoutWorkerRuntime.clientCloseTimeout(configuration)
        consumerConfiguration.properties = configuration.kafka.properties.merging(
            configuration.kafka.consumerProperties
        ) { $1 }
        return consumerConfiguration
    }

    init(
        configuration: WorkerConfiguration,
        worker: String,
        engine: PayoutEngine,
        producer: KafkaProducer,
        metrics: WorkerMetrics,
        logger: Logger
    ) throws {
        let gate = IntakeGate()
        let joinedFlag = JoinFlag()
        self.consumer = try KafkaConsumer(configuration: Self.consumerConfiguration(configuration), logger: logger) {
            event in
            switch event {
            case .assigned: joinedFlag.value.store(true, ordering: .relaxed)
            case .revoked:
                // Let the batch in progress finish and store its offsets before the commit.
                await gate.waitForBatchesInProgress()
            case .lost: break
            }
        }
        self.engine = engine
        self.producer = producer
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.gate = gate
        self.worker = worker
        self.joinedFlag = joinedFlag
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await consumeUntilClosed()
        } onGracefulShutdown: {
            // Closing runs the final revoke (waiting for the batch in progress), commits and leaves
            // the group; the loop then sees the end of the message sequence.
            Task { await self.consumer.close() }
        }
        await consumer.close()
    }

    private func consumeUntilClosed() async {
        var paused = false
        while true {
            paused = await throttleIfProviderStruggles(paused: paused)
            if paused {
                // Paused partitions deliver nothing: waiting for a batch now could wait for ever,
                // and the check that resumes intake would never run again. Re-check instead (the
                // throttle has slept).
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                continue
            }
            let batch: [KafkaMessage]
            do {
                batch = try await consumer.nextBatch(maxCount: configuration.intakeBatchSize)
            } catch {
                logger.error("consumer failed", metadata: ["error": "\(error)"])
                return
            }
            if batch.isEmpty { return }
            gate.begin()
            await record(batch)
            gate.end()
        }
    }

    /// Records a batch and stores its offsets. Store and dead-letter failures are retried (the
    /// batch must not be skipped); the offsets are stored only when everything is durable. The two
    /// are retried apart: once the store has the batch, only the dead letters not yet acknowledged
    /// are sent again. Retrying the whole batch would answer every accepted command a second time
    /// as a duplicate, for as long as the dead-letter topic is unreachable.
    private func record(_ batch: [KafkaMessage]) async {
        metrics.commandsConsumed(batch.count)
        guard let results = await intakeRetrying(batch) else { return }
        metrics.intakeResults(results)
        var pending = zip(batch, results).compactMap { message, result in
            DeadLetters.reason(for: result).map { DeadLetterItem(message, $0.0, $0.1) }
        }
        var attempt = 0
        while !pending.isEmpty {
            let failures = await deadLetter(pending)
            // A letter the topic refuses for good would hold its partition for ever: it is kept
            // in the store instead, and the partition moves on. Only the rest is retried.
            let refused = failures.filter { $0.error.refusesRecord }
            let retriable = failures.filter { !$0.error.refusesRecord }
            if !refused.isEmpty {
                guard await keepInStore(refused) else { return }
            }
            guard let error = retriable.first?.error else { break }
            pending = retriable.map(\.item)
            attempt += 1
            logger.warning(
                "dead letter not acknowledged; retrying",
                metadata: [
                    "count": "\(pending.count)", "attempt": "\(attempt)", "error": "\(error)",
                ]
            )
            guard await backOff(attempt) else { return }
        }
        do {
            try consumer.storeOffsets(batch)
        } catch {
            // Partitions revoked meanwhile: their next owner re-reads, and intake is idempotent.
            logger.debug("offsets not stored", metadata: ["error": "\(error)"])
        }
    }

    /// Records the batch in the store, retrying until it is durable; `nil` once cancelled.
    private func intakeRetrying(_ batch: [KafkaMessage]) async -> [IntakeResult]? {
        let records = batch.map(IntakeRecord.init)
        var attempt = 0
        while true {
            do {
                return try await engine.intake(records)
            } catch {
                attempt += 1
                logger.warning(
                    "intake batch failed; retrying",
                    metadata: ["error": "\(error)", "attempt": "\(attempt)"]
                )
                guard await backOff(attempt) else { return nil }
            }
        }
    }

    /// Sends the dead letters; returns those Kafka did not acknowledge, each with its error.
    private func deadLetter(_ items: [DeadLetterItem]) async -> [(item: DeadLetterItem, error: KafkaError)] {
        let records = items.map { item in
            DeadLetters.record(
                for: item.message,
                reason: item.reason,
                detail: item.detail,
                topic: configuration.kafka.deadLetterTopic,
                worker: worker
            )
        }
        var failed: [(item: DeadLetterItem, error: KafkaError)] = []
        for (item, result) in zip(items, await producer.sendAll(records)) {
            switch result {
            case .success: metrics.deadLettered(reason: item.reason.rawValue)
            case .failure(let error): failed.append((item, error))
            }
        }
        if failed.count < items.count {
            logger.notice("records dead-lettered", metadata: ["count": "\(items.count - failed.count)"])
        }
        return failed
    }

    /// Keeps refused dead letters in the store, retrying until it has them; false once cancelled.
    /// Each is logged with its reason, origin and error: never its key or value, which may hold
    /// a phone number.
    private func keepInStore(_ refused: [(item: DeadLetterItem, error: KafkaError)]) async -> Bool {
        let now = StoreClock.system.now()
        let letters = refused.map { item, error in
            KeptDeadLetter(
                sourceTopic: item.message.topic,
                sourcePartition: item.message.partition,
                sourceOffset: item.message.offset,
                key: item.message.key,
                value: item.message.value,
                headers: item.message.headers.map { KeptDeadLetter.Header(name: $0.name, value: $0.value) },
                reason: item.reason.rawValue,
                detail: item.detail,
                error: "\(error)",
                worker: worker,
                keptAt: now
            )
        }
        var attempt = 0
        while true {
            do {
                try await engine.store.keepDeadLetters(letters)
                break
            } catch {
                attempt += 1
                logger.warning(
                    "keeping refused dead letters failed; retrying",
                    metadata: ["error": "\(error)", "attempt": "\(attempt)"]
                )
                guard await backOff(attempt) else { return false }
            }
        }
        for letter in letters {
            logger.error(
                "the dead-letter topic refused a record for good; kept in the store (payout-worker dead-letters retry)",
                metadata: [
                    "reason": "\(letter.reason)",
                    "source": "\(letter.sourceTopic)[\(letter.sourcePartition)]@\(letter.sourceOffset)",
                    "error": "\(letter.error)",
                ]
            )
        }
        if let count = try? await engine.store.unsentDeadLetterCount() { metrics.deadLettersKept(count) }
        return true
    }

    /// Waits before retry `attempt` (100 ms doubling, at most 5 s); false once cancelled.
    private func backOff(_ attempt: Int) async -> Bool {
        try? await Task.sleep(for: .milliseconds(min(100 << min(attempt, 6), 5_000)))
        return !Task.isCancelled
    }

    /// Pauses the partitions while Dollr asks us to wait (429) or is unreachable, so commands wait
    /// in Kafka instead of piling up as payouts that cannot move. Payouts are never failed for it.
    private func throttleIfProviderStruggles(paused: Bool) async -> Bool {
        let health = engine.health
        let now = StoreClock.system.now()
        let limitedFor = health.rateLimitedUntil.map { $0 - now } ?? 0
        if limitedFor > 0 || health.providerUnavailable {
            if !paused {
                consumer.pause(consumer.assignment)
                logger.notice("Dollr is rate limiting or unavailable: pausing intake")
            }
            let wait = limitedFor > 0 ? min(max(limitedFor, 50), 5_000) : 500
            try? await Task.sleep(for: .milliseconds(wait))
            return true
        }
        if paused {
            consumer.resume(consumer.assignment)
            logger.notice("resuming intake")
        }
        return false
    }
}

/// A record bound for the dead-letter topic: the original message, the reason code and its detail.
private struct DeadLetterItem {
    var message: KafkaMessage
    var reason: PayoutReason.Code
    var detail: String

    init(_ message: KafkaMessage, _ reason: PayoutReason.Code, _ detail: String) {
        (self.message, self.reason, self.detail) = (message, reason, detail)
    }
}

/// Set by the rebalance handler on the first assignment, read for readiness.
private final class JoinFlag: Sendable {
    let value = Atomic<Bool>(false)
}
