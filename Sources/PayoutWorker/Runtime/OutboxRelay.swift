import Kafka
import Logging
import PayoutEngine
import ServiceLifecycle
import Tracing

/// Publishes the outbox to `payouts.status`. An entry is marked sent only after the broker
/// acknowledged it, so a crash between the two publishes it again: the same event id, which
/// consumers recognise. Only the oldest unsent event of a payout is claimable, so a payout's
/// events reach the topic in sequence order, whichever relay publishes them.
final class OutboxRelay: Service, Sendable {
    private let store: any PayoutStore
    private let producer: KafkaProducer
    private let configuration: WorkerConfiguration
    private let owner: String
    private let metrics: WorkerMetrics
    private let logger: Logger

    init(
        store: any PayoutStore,
        producer: KafkaProducer,
        configuration: WorkerConfiguration,
        owner: String,
        metrics: WorkerMetrics,
        logger: Logger
    ) {
        self.store = store
        self.producer = producer
        self.configuration = configuration
        self.owner = owner
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        var idle: Duration = .milliseconds(5)
        while !Task.isCancelled {
            let published = await publishRound()
            if Task.isShuttingDownGracefully {
                // Publish what is left (final statuses of parked payouts included), then stop.
                if published == 0 { return }
                continue
            }
            if published > 0 {
                idle = .milliseconds(5)
            } else {
                // Polling the outbox is the relay's job; back off while it is empty.
                try? await Task.sleep(for: idle)
                idle = min(idle * 2, .milliseconds(100))
            }
        }
    }

    /// One claim-publish-mark round; returns how many events went out.
    func publishRound() async -> Int {
        let entries: [OutboxEntry]
        do {
            entries = try await store.claimOutbox(
                owner: owner,
                limit: configuration.relayBatchSize,
                leaseMilliseconds: 30_000,
                now: StoreClock.system.now()
            )
        } catch {
            logger.warning("claiming the outbox failed", metadata: ["error": "\(error)"])
            return 0
        }
        guard !entries.isEmpty else { return 0 }
        let topic = configuration.kafka.statusTopic
        let records = entries.map {
            StatusEventRecord.record($0.event, topic: topic, source: configuration.eventSource)
        }
        let tracer = InstrumentationSystem.tracer
        let spans = tracer is NoOpTracer ? [] : entries.map { Self.publishSpan($0.event, topic: topic, tracer: tracer) }
        let results = await producer.sendAll(records)
        for (span, result) in zip(spans, results) {
            switch result {
            case .success(let report):
                span.attributes["messaging.destination.partition.id"] = String(report.topicPartition.partition)
                span.attributes["messaging.kafka.offset"] = Int(report.offset)
            case .failure(let error):
                if case .librdkafka(let code, _) = error {
                    span.attributes["error.type"] = code.name
                } else {
                    span.attributes["error.type"] = "\(error)"
                }
                span.setStatus(SpanStatus(code: .error))
            }
            span.end()
        }
        let sent = zip(entries, results).compactMap { entry, result in (try? result.get()) != nil ? entry.outboxID : nil
        }
        let failed = entries.count - sent.count
        if failed > 0 {
            // Left claimed: they are published again once the claim expires.
            metrics.publishFailures(failed)
            logger.warning("status events not acknowledged; will retry", metadata: ["count": "\(failed)"])
        }
        do {
            try await store.markSent(sent, now: StoreClock.system.now())
        } catch {
            logger.warning("marking events sent failed; they will be published again", metadata: ["error": "\(error)"])
        }
        metrics.eventsPublished(sent.count)
        return sent.count
    }

    /// A producer span (messaging semantic conventions) in the payout's trace, ended on the
    /// broker's acknowledgement.
    private static func publishSpan(_ event: StoredEvent, topic: String, tracer: any Tracer) -> any Span {
        let span = tracer.startSpan(
            "send \(topic)",
            context: PayoutTrace.context(traceParent: event.traceParent),
            ofKind: .producer
        )
        span.attributes["messaging.system"] = "kafka"
        span.attributes["messaging.operation.type"] = "send"
        span.attributes["messaging.destination.name"] = topic
        span.attributes["messaging.message.id"] = event.eventID
        span.attributes["messaging.kafka.message.key"] = event.referenceID
        span.attributes["payout.status"] = event.status.rawValue
        return span
    }
}
