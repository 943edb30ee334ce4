public import DollrClient
import Kafka
public import Logging
public import PayoutEngine
import ServiceLifecycle
import Synchronization

/// The console alone against the store, without Kafka intake (`payout-worker console`): for an
/// operator's laptop or a single admin pod. Resolutions ask Dollr as a worker's would; a
/// dead-letter resend opens a Kafka producer for the time it takes.
public final class StandaloneConsole: Sendable {
    public let store: any PayoutStore
    private let dollr: DollrClient
    private let group: ServiceGroup
    private let boundPort = BoundPort()
    private let listening = AsyncStream<Int>.makeStream()

    public init(configuration: WorkerConfiguration, logger: Logger) async throws {
        let store = try await PayoutStoreFactory.openMigrated(url: configuration.storeURL, logger: logger)
        self.store = store
        let dollr = PayoutWorkerRuntime.dollrClient(configuration, logger: logger)
        self.dollr = dollr
        let owner = "console-\(configuration.workerID ?? PayoutWorkerRuntime.defaultWorkerID)"
        let engine = PayoutEngine(
            store: store, dollr: dollr, configuration: PayoutWorkerRuntime.engineConfiguration(configuration, owner: owner), logger: logger)
        let producerConfiguration = PayoutWorkerRuntime.producerConfiguration(configuration)
        let topic = configuration.kafka.deadLetterTopic
        let backend = ConsoleBackend(
            store: store, resolve: ConsoleBackend.resolving(with: engine),
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
            readiness: {
                do {
                    _ = try await store.outboxBacklog()
                    return ReadinessReport(checks: ["store": .ok])
                } catch {
                    return ReadinessReport(checks: ["store": .failing("\(error)")])
                }
            })
        let console = Console(backend: backend, access: ConsoleAccess(token: configuration.admin.token))
        let continuation = listening.continuation
        let boundPort = self.boundPort
        let server = AdminServer(
            host: configuration.admin.host, port: configuration.admin.port, metrics: WorkerMetrics(), readiness: backend.readiness!,
            console: console, logger: logger
        ) { port in
            boundPort.value.withLock { $0 = port }
            continuation.yield(port)
            continuation.finish()
            logger.info("console listening", metadata: ["address": "http://\(configuration.admin.host):\(port)/console"])
        }
        self.group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [.init(service: server)], logger: logger))
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

    /// The port it listens on, once it does; nil if it stopped before.
    public func port() async -> Int? {
        if let port = boundPort.value.withLock({ $0 }) { return port }
        for await port in listening.stream { return port }
        return boundPort.value.withLock { $0 }
    }

    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}

/// The port the console listens on, shared with the server's start-up callback.
private final class BoundPort: Sendable {
    let value = Mutex<Int?>(nil)
}
