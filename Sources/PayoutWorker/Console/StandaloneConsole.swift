import DollrClient
import Kafka
public import Logging
public import PayoutEngine
import ServiceLifecycle

/// The console alone against the store, without Kafka intake (`payout-worker console`): for an
/// operator's laptop or a single admin pod. Resolutions ask Dollr as a worker's would; a
/// dead-letter resend opens a Kafka producer for the time it takes.
public final class StandaloneConsole: Sendable {
    public let store: any PayoutStore
    private let dollr: DollrClient
    private let group: ServiceGroup

    public init(configuration: WorkerConfiguration, logger: Logger) async throws {
        let store = try await PayoutStoreFactory.openMigrated(url: configuration.storeURL, logger: logger)
        self.store = store
        let dollr = PayoutWorkerRuntime.dollrClient(configuration, logger: logger)
        self.dollr = dollr
        let owner = "console-\(configuration.workerID ?? PayoutWorkerRuntime.defaultWorkerID)"
        let engine = PayoutEngine(
            store: store,
            dollr: dollr,
            configuration: PayoutWorkerRuntime.engineConfiguration(configuration, owner: owner),
            logger: logger
        )
        let producerConfiguration = PayoutWorkerRuntime.producerConfiguration(configuration)
        let topic = configuration.kafka.deadLetterTopic
        let readiness: @Sendable () async -> ReadinessReport = {
            do {
                _ = try await store.outboxBacklog()
                return ReadinessReport(checks: ["store": .ok])
            } catch {
                return ReadinessReport(checks: ["store": .failing("\(error)")])
            }
        }
        let backend = ConsoleBackend(
            store: store,
            resolve: ConsoleBackend.resolving(with: engine),
            resendDeadLetters: {
                let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
                do {
                    let outcome = try await DeadLetters.resendKept(store: store, producer: producer, topic: topic)
                    await producer.close()
                    return outcome
                } catch {
                    await producer.close()
                    throw error
                }
            },
            readiness: readiness
        )
        let console = Console(backend: backend, access: ConsoleAccess(token: configuration.admin.token))
        let server = AdminServer(
            host: configuration.admin.host,
            port: configuration.admin.port,
            metrics: WorkerMetrics(),
            readiness: readiness,
            console: console,
            logger: logger
        ) { port in
            logger.info(
                "console listening",
                metadata: ["address": "http://\(configuration.admin.host):\(port)/console"]
            )
        }
        self.group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [.init(service: server)], logger: logger)
        )
    }

    /// Serves until ``shutdown()``; then closes the Dollr client and the store.
    public func run() async throws {
        do {
            try await group.run()
        } catch {
            try? await dollr.shutdown()
            await store.close()
            throw error
        }
        try? await dollr.shutdown()
        await store.close()
    }

    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}
