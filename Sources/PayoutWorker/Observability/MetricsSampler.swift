import Kafka
import Logging
import PayoutEngine
import ServiceLifecycle

/// Refreshes the gauges that are read from state rather than counted as they happen: payouts by
/// status, outbox backlog, dead letters kept, wallet availability, consumer lag, payouts in flight,
/// the review queue, the resolutions in the audit log and the store's lock conflicts.
struct MetricsSampler: Service {
    let store: any PayoutStore
    let engine: PayoutEngine
    let consumer: KafkaConsumer
    let metrics: WorkerMetrics
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sample()
                try await Task.sleep(for: interval)
            }
        }
    }

    func sample() async {
        metrics.inFlight(engine.inFlightCount)
        metrics.consumerLag(consumer.lag)
        metrics.lockConflicts(store.lockConflicts)
        do {
            let counts = try await store.countsByStatus()
            metrics.payoutsByStatus(Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }))
            metrics.outboxBacklog(try await store.outboxBacklog())
            metrics.deadLettersKept(try await store.unsentDeadLetterCount())
            metrics.walletAvailable(try await store.wallets())
            metrics.reviewQueue(try await store.reviewQueue(), now: StoreClock.system.now())
            metrics.resolutions(try await store.resolutionCounts())
        } catch {
            logger.debug("sampling the store failed", metadata: ["error": "\(error)"])
        }
    }
}
