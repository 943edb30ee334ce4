import CommandSupport
import DollrSandbox
import EmbeddedKafka
import Foundation
import Kafka
import Logging
import PayoutEngine

/// What every scenario shares: an embedded broker, the Dollr sandbox (in this process) and a
/// scratch folder for SQLite stores. Each scenario gets its own topics, group and store.
final class BenchEnvironment: Sendable {
    let cluster: EmbeddedKafkaCluster
    let sandbox: SandboxServer
    let directory: URL
    let logger: Logger
    /// `--store`: a PostgreSQL URL, or nil for one SQLite file per scenario.
    let storeOverride: String?
    /// `--consumer-buffer`: the layer scenarios' consumer buffer; nil means the runtime's (4 x 500).
    let consumerBuffer: Int?
    /// 12 partitions keep 200,000 compact commands (~170 bytes on the log) near 2.8 MiB per
    /// partition, under the embedded broker's 5 MiB cap.
    static let partitions = 12

    private init(
        cluster: EmbeddedKafkaCluster,
        sandbox: SandboxServer,
        directory: URL,
        logger: Logger,
        storeOverride: String?,
        consumerBuffer: Int?
    ) {
        self.cluster = cluster
        self.sandbox = sandbox
        self.directory = directory
        self.logger = logger
        self.storeOverride = storeOverride
        self.consumerBuffer = consumerBuffer
    }

    static func start(storeOverride: String?, consumerBuffer: Int?, logger: Logger) async throws -> BenchEnvironment {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        var sandboxConfiguration = SandboxConfiguration(seed: 2026)
        sandboxConfiguration.faults.latencyMs = 0
        sandboxConfiguration.faults.pendingMs = 0
        sandboxConfiguration.faults.processingMs = 0
        let sandbox = try await SandboxServer.start(configuration: sandboxConfiguration, logger: logger)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "payout-worker-bench-\(UUID().uuidString.prefix(8))"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return BenchEnvironment(
            cluster: cluster,
            sandbox: sandbox,
            directory: directory,
            logger: logger,
            storeOverride: storeOverride,
            consumerBuffer: consumerBuffer
        )
    }

    /// The store URL for one scenario: its own SQLite file, or the shared `--store` URL.
    func storeURL(for scenario: String) -> String {
        storeOverride ?? "sqlite://\(directory.path)/\(scenario).db"
    }

    /// The commands, status and dead-letter topics of one worker under measurement.
    struct WorkerTopics: Sendable {
        var commands: String
        var status: String
        var deadLetters: String
    }

    /// Creates `bench.<name>.commands`, `.status` and `.dlq`.
    func workerTopics(_ name: String, partitions: Int = BenchEnvironment.partitions) async throws -> WorkerTopics {
        WorkerTopics(
            commands: try await topic("bench.\(name).commands", partitions: partitions),
            status: try await topic("bench.\(name).status", partitions: partitions),
            deadLetters: try await topic("bench.\(name).dlq", partitions: partitions)
        )
    }

    /// Sets the one wallet every bench payout draws on (USD), so large that none runs short.
    static func fundWallet(_ store: any PayoutStore) async throws {
        try await store.setWallet(
            id: "1",
            currency: "USD",
            balanceMinor: 1_000_000_000_000,
            now: StoreClock.system.now()
        )
    }

    /// Migrates the store at `url` and funds its wallet, for worker processes to use.
    func prepareStore(url: String) async throws {
        let store = try await PayoutStoreFactory.openMigrated(url: url, logger: logger)
        do {
            try await Self.fundWallet(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    /// Creates a topic with the bench's partition count, or `partitions`.
    func topic(_ name: String, partitions: Int = BenchEnvironment.partitions) async throws -> String {
        try await cluster.createTopic(name, partitions: partitions)
        return name
    }

    /// Produces the records and fails unless every one was acknowledged.
    func produce(_ records: [KafkaProducerRecord]) async throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.properties["queue.buffering.max.messages"] = "1000000"
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        var failed = 0
        for chunk in stride(from: 0, to: records.count, by: 50_000) {
            let results = await producer.sendAll(Array(records[chunk..<min(chunk + 50_000, records.count)]))
            failed += results.filter { (try? $0.get()) == nil }.count
        }
        await producer.close()
        guard failed == 0 else { throw CommandFailure("the embedded broker refused \(failed) records") }
    }

    func stop() async {
        await sandbox.stop()
        await cluster.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}
