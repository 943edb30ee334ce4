import CommandSupport
import DollrClient
import DollrSandbox
import EmbeddedKafka
import Foundation
import Kafka
import Logging
import PayoutEngine
import PayoutWorker

/// What the demo's worker runs against, all in this process: an embedded Kafka with the worker's
/// topics, the Dollr sandbox, and a scratch directory for the SQLite store.
struct DemoEnvironment {
    let cluster: EmbeddedKafkaCluster
    let sandbox: SandboxServer
    let merchant: MerchantCredentials
    let directory: URL
    let topics: WorkerConfiguration.Kafka

    /// Starts each part and adds to `teardown` how to stop it. Dollr's wallets open with
    /// `opening`, as the worker's ledger will.
    static func start(
        seed: UInt64,
        opening: [(currency: CurrencyCode, balanceMinor: Int64)],
        logger: Logger,
        teardown: Teardown
    ) async throws -> DemoEnvironment {
        let topics = WorkerConfiguration().kafka
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        teardown.add { await cluster.shutdown() }
        for topic in [topics.commandsTopic, topics.statusTopic, topics.deadLetterTopic] {
            try await cluster.createTopic(topic, partitions: 6)
        }

        var sandboxConfiguration = SandboxConfiguration(seed: seed)
        // The same four variables as the worker and the sandbox, so one environment makes both sides
        // agree (and a test can run the demo with recognisable secrets and scan what it prints).
        sandboxConfiguration.merchant = try MerchantCredentials.fromEnvironment(
            ProcessInfo.processInfo.environment,
            defaults: .sandboxDefaults
        )
        sandboxConfiguration.faults.pendingMs = 200
        sandboxConfiguration.faults.processingMs = 800
        // Both ledgers open with the same balances, so the invariants can hold them to agreeing.
        sandboxConfiguration.wallets = opening.map { Money(minorUnits: $0.balanceMinor, currency: $0.currency) }
        let sandbox = try await SandboxServer.start(configuration: sandboxConfiguration, logger: logger)
        teardown.add { await sandbox.stop() }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "payout-worker-demo-\(UUID().uuidString.prefix(8))"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        teardown.add { try? FileManager.default.removeItem(at: directory) }
        return DemoEnvironment(
            cluster: cluster,
            sandbox: sandbox,
            merchant: sandboxConfiguration.merchant,
            directory: directory,
            topics: topics
        )
    }

    /// The demo worker's configuration: this environment's broker, sandbox and store, polls quick
    /// enough to show progress, and the console read-only unless the operator gives a token.
    var workerConfiguration: WorkerConfiguration {
        var configuration = WorkerConfiguration()
        configuration.kafka.brokers = cluster.bootstrapServers
        configuration.kafka.groupID = "payout-worker-demo"
        configuration.storeURL = "sqlite://\(directory.path)/payouts.db"
        configuration.dollr.baseURL = sandbox.baseURL
        configuration.dollr.credentials = merchant
        configuration.admin.port = 0
        configuration.workerID = "demo-worker"
        if let token = ProcessInfo.processInfo.environment["PAYOUT_ADMIN_TOKEN"], !token.isEmpty {
            configuration.admin.token = Secret(token)
        }
        configuration.shutdownTimeout = .seconds(15)
        configuration.engine.policy.pollInitialDelayMilliseconds = 250
        configuration.engine.policy.pollMaximumDelayMilliseconds = 1_000
        return configuration
    }

    /// A plain consumer per topic, as downstream subscribers would read them, feeding one
    /// observer; closed by `teardown`.
    func startReaders(logger: Logger, teardown: Teardown) throws -> DownstreamObserver {
        let observer = DownstreamObserver()
        let statusReader = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: cluster.bootstrapServers,
                groupID: "demo-status-reader",
                topics: [topics.statusTopic]
            ),
            logger: logger
        )
        let statusTask = Task { for try await message in statusReader.messages { observer.observeStatus(message) } }
        teardown.add {
            await statusReader.close()
            _ = try? await statusTask.value
        }
        let deadLetterReader = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: cluster.bootstrapServers,
                groupID: "demo-dlq-reader",
                topics: [topics.deadLetterTopic]
            ),
            logger: logger
        )
        let deadLetterTask = Task {
            for try await message in deadLetterReader.messages { observer.observeDeadLetter(message) }
        }
        teardown.add {
            await deadLetterReader.close()
            _ = try? await deadLetterTask.value
        }
        return observer
    }

    /// Publishes every record of the workload; fails unless the broker took them all.
    func publish(_ workload: CommandWorkload, logger: Logger, teardown: Teardown) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers),
            logger: logger
        )
        teardown.add { await producer.close() }
        let delivered = await producer.sendAll(workload.items.map(\.record))
        guard delivered.allSatisfy({ (try? $0.get()) != nil }) else {
            throw CommandFailure("the embedded broker refused commands")
        }
    }
}

/// The demo's worker: the product's runtime, in this process, on a ``DemoEnvironment``.
struct DemoWorker {
    let runtime: PayoutWorkerRuntime
    let running: Task<Void, any Error>
    let configuration: WorkerConfiguration
    /// The wallets as declared, before any payout.
    let walletsBefore: [WalletBalance]

    /// Starts the runtime (`teardown` stops it), then declares the wallets in its store.
    static func start(
        on environment: DemoEnvironment,
        opening: [(currency: CurrencyCode, balanceMinor: Int64)],
        logger: Logger,
        teardown: Teardown
    ) async throws -> DemoWorker {
        let configuration = environment.workerConfiguration
        let runtime = try await PayoutWorkerRuntime(configuration: configuration, logger: logger, handleSignals: false)
        // Running at once, so that its stop, which closes the store and the clients, is what tears
        // it down; no command is published before the wallets below are declared.
        let running = Task { try await runtime.run() }
        teardown.add {
            await runtime.shutdown()
            _ = try? await running.value
        }
        for (index, wallet) in opening.enumerated() {
            try await runtime.store.setWallet(
                id: String(index + 1),
                currency: wallet.currency.code,
                balanceMinor: wallet.balanceMinor,
                now: StoreClock.system.now()
            )
        }
        return DemoWorker(
            runtime: runtime,
            running: running,
            configuration: configuration,
            walletsBefore: try await runtime.store.wallets()
        )
    }

    /// Drains and stops the worker; its run's failure, if any, is thrown.
    func stop() async throws {
        await runtime.shutdown()
        try await running.value
    }
}
