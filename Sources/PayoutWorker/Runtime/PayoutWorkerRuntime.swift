public import DollrClient
import Foundation
public import Kafka
public import Logging
public import PayoutEngine
public import ServiceLifecycle

/// One worker process: Kafka intake, the engine, the outbox relay, metrics and the admin server,
/// composed in one `ServiceGroup`.
///
/// Shutdown runs in reverse order of start: intake first (stop taking records, finish the batch,
/// commit, leave the group), then the engine (in-flight payouts commit their step and are parked),
/// then the relay (publish what the outbox still holds), then the rest; finally the producer is
/// flushed and every client closed. The whole sequence is bounded by `shutdownTimeout`: the
/// services drain for part of it and are then cancelled (every wait in them ends on cancellation,
/// sends included), and the Kafka clients' closes, which wait for the broker, have bounds that fit
/// in the rest (see ``serviceDrainTimeout(_:)``).
public final class PayoutWorkerRuntime: Sendable {
    public let configuration: WorkerConfiguration
    public let workerID: String
    public let store: any PayoutStore
    public let engine: PayoutEngine
    public let metrics: WorkerMetrics
    private let dollr: DollrClient
    private let producer: KafkaProducer
    private let intake: IntakeService
    private let group: ServiceGroup
    private let logger: Logger
    private let boundAdminPort = AdminPort()

    /// Opens the store (running migrations), the Dollr client and the Kafka clients. Throws with
    /// a precise message if any of them cannot start; nothing is left half-started.
    /// - Parameter observability: a service the group runs first and stops last, such as the
    ///   tracing exporter, so that what the others record on their way out is still exported.
    public init(
        configuration: WorkerConfiguration,
        logger: Logger,
        handleSignals: Bool = true,
        observability: (any Service)? = nil
    ) async throws {
        self.configuration = configuration
        self.logger = logger
        let workerID = configuration.workerID ?? Self.defaultWorkerID
        self.workerID = workerID

        // librdkafka checks the Kafka settings first, without a client: a bad property must not
        // leave a created and migrated store behind.
        let producerConfiguration = Self.producerConfiguration(configuration)
        try producerConfiguration.validate()
        try IntakeService.consumerConfiguration(configuration).validate()

        let store = try await PayoutStoreFactory.openMigrated(url: configuration.storeURL, logger: logger)
        self.store = store

        let dollr = Self.dollrClient(configuration, logger: logger)
        self.dollr = dollr

        let metrics = WorkerMetrics()
        self.metrics = metrics
        let engine = PayoutEngine(
            store: store,
            dollr: dollr,
            configuration: Self.engineConfiguration(configuration, owner: workerID),
            logger: logger,
            observer: metrics
        )
        self.engine = engine

        do {
            let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
            self.producer = producer
            let intake = try IntakeService(
                configuration: configuration,
                worker: workerID,
                engine: engine,
                producer: producer,
                metrics: metrics,
                logger: logger
            )
            self.intake = intake
            let relay = OutboxRelay(
                store: store,
                producer: producer,
                configuration: configuration,
                owner: workerID,
                metrics: metrics,
                logger: logger
            )
            let sampler = MetricsSampler(
                store: store,
                engine: engine,
                consumer: intake.consumer,
                metrics: metrics,
                interval: .seconds(5),
                logger: logger
            )
            var services: [ServiceGroupConfiguration.ServiceConfiguration] =
                observability.map { [.init(service: $0)] } ?? []
            let readiness = Self.readiness(store: store, engine: engine, intake: intake)
            let deadLetterTopic = configuration.kafka.deadLetterTopic
            let console = Console(
                backend: ConsoleBackend(
                    store: store,
                    resolve: ConsoleBackend.resolving(with: engine),
                    resendDeadLetters: {
                        try await DeadLetters.resendKept(store: store, producer: producer, topic: deadLetterTopic)
                    },
                    readiness: readiness,
                    recent: metrics.recent,
                    workerID: workerID
                ),
                access: ConsoleAccess(token: configuration.admin.token)
            )
            services += Self.adminServices(
                configuration: configuration,
                metrics: metrics,
                readiness: readiness,
                console: console,
                port: boundAdminPort,
                logger: logger
            )
            let retention = RetentionService(
                pruner: StorePruner(store: store, policy: configuration.retention.policy, logger: logger),
                metrics: metrics,
                interval: configuration.retention.interval,
                logger: logger
            )
            services += [
                .init(service: sampler), .init(service: retention), .init(service: relay),
                .init(service: EngineService(engine: engine)),
                .init(service: intake),
            ]
            var groupConfiguration = ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
                logger: logger
            )
            groupConfiguration.maximumGracefulShutdownDuration = Self.serviceDrainTimeout(configuration)
            self.group = ServiceGroup(configuration: groupConfiguration)
        } catch {
            try? await dollr.shutdown()
            await store.close()
            throw error
        }
    }

    /// This process's name in leases and logs when `worker_id` is not set: host name and process id.
    public static var defaultWorkerID: String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// The Dollr client as the configuration describes it; the caller shuts it down.
    public static func dollrClient(_ configuration: WorkerConfiguration, logger: Logger) -> DollrClient {
        DollrClient(
            configuration: DollrConfiguration(
                baseURL: configuration.dollr.baseURL,
                credentials: configuration.dollr.credentials,
                connectTimeout: configuration.dollr.connectTimeout,
                requestTimeout: configuration.dollr.requestTimeout,
                maxConcurrentRequests: configuration.dollr.maxConcurrentRequests
            ),
            logger: logger
        )
    }

    /// The engine's settings from the worker's, for an engine whose leases `owner` holds.
    public static func engineConfiguration(_ configuration: WorkerConfiguration, owner: String) -> EngineConfiguration {
        var engineConfiguration = EngineConfiguration(owner: owner)
        // A payout in flight makes one Dollr call at a time; more payouts in flight than the client
        // may call concurrently would only queue inside the client, eating into their leases.
        engineConfiguration.maximumInFlight = min(
            configuration.engine.maximumInFlight,
            configuration.dollr.maxConcurrentRequests
        )
        engineConfiguration.leaseMilliseconds = configuration.engine.leaseMilliseconds
        engineConfiguration.providerCallTimeoutMilliseconds = configuration.dollr.requestTimeout.wholeMilliseconds
        engineConfiguration.policy = configuration.engine.policy
        engineConfiguration.commandPolicy = configuration.commands
        return engineConfiguration
    }

    /// Runs until graceful shutdown (a signal, or ``shutdown()``), then releases every client.
    public func run() async throws {
        logger.info(
            "payout-worker running",
            metadata: [
                "worker": "\(workerID)", "brokers": "\(configuration.kafka.brokers)",
                "group": "\(configuration.kafka.groupID)",
            ]
        )
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
        }
        await producer.close()
        try? await dollr.shutdown()
        await store.close()
        logger.info("payout-worker stopped", metadata: ["worker": "\(workerID)"])
        if let failure { throw failure }
    }

    /// How brokers name the worker's Kafka clients in their logs, quotas and metrics.
    static let kafkaClientID = "payout-worker"

    /// The producer the worker's settings describe: the shared and producer-only librdkafka
    /// properties, the worker's client id and close bound. The CLI's producers use it too.
    public static func producerConfiguration(_ configuration: WorkerConfiguration) -> KafkaProducerConfiguration {
        var producer = KafkaProducerConfiguration(bootstrapServers: configuration.kafka.brokers)
        producer.clientID = kafkaClientID
        producer.closeTimeout = clientCloseTimeout(configuration)
        producer.properties = configuration.kafka.properties.merging(configuration.kafka.producerProperties) { $1 }
        return producer
    }

    /// How long closing each Kafka client may wait for the broker: the consumer's final commit and
    /// leave, the producer's final flush. A quarter of the shutdown bound, at most 5 s: with the
    /// broker gone both run their whole course, and librdkafka's own waits (a session timeout, 45 s
    /// by default, for each of commit and leave; `message.timeout.ms` for a flush) would overrun
    /// the bound many times over.
    static func clientCloseTimeout(_ configuration: WorkerConfiguration) -> Duration {
        min(.seconds(5), configuration.shutdownTimeout / 4)
    }

    /// How long the services drain (intake, engine, relay) before they are cancelled. What is left
    /// of `shutdownTimeout` is kept for what may follow the cancellation, each bounded by
    /// ``clientCloseTimeout(_:)``: the intake consumer's close (it commits and leaves only once its
    /// batch in progress ends, which a store that no longer answers delays until the cancellation)
    /// and the producer's close.
    static func serviceDrainTimeout(_ configuration: WorkerConfiguration) -> Duration {
        configuration.shutdownTimeout - clientCloseTimeout(configuration) * 2
    }

    /// Starts a graceful shutdown, as SIGTERM would.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// The admin server's port once it listens (useful with port 0), else `nil`.
    public var adminPort: Int? {
        let port = boundAdminPort.value.load(ordering: .relaxed)
        return port == 0 ? nil : port
    }

    /// The admin server's port, once it listens; nil if it has not within `limit` (it failed to bind).
    public func waitForAdminPort(within limit: Duration = .seconds(10)) async -> Int? {
        let port = boundAdminPort
        return await withTaskGroup(of: Int?.self) { group in
            group.addTask {
                let bound = await port.wait()
                return bound == 0 ? nil : bound
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Whether the intake consumer has joined its group.
    public var hasJoinedGroup: Bool { intake.hasJoined }
}
