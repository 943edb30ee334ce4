import DollrClient
import DollrSandbox
import EmbeddedKafka
import Foundation
import Kafka
import Logging
import PayoutEngine
import PayoutWorker
import TestSupport

/// What a runtime test's subscribers read from the status and dead-letter topics.
struct OutputReaders {
    let statuses: Recorder<KafkaMessage>
    let deadLetters: Recorder<KafkaMessage>
    let readers: [(KafkaConsumer, Task<Void, any Error>)]

    func close() async {
        for (consumer, task) in readers {
            await consumer.close()
            _ = try? await task.value
        }
    }
}

let quietLogger = Logger(label: "worker-tests") { _ in SwiftLogNoOpLogHandler() }

/// The embedded broker's own log, errors only, to stderr: when the mock cluster asserts, the line
/// before the assertion (say, why a listener could not be bound) is what explains it.
let brokerLogger: Logger = {
    var logger = Logger(label: "embedded-broker")
    logger.logLevel = .error
    return logger
}()

/// An embedded Kafka with the worker's topics, a sandbox on loopback, and a worker configuration
/// pointing at both with a fresh SQLite store.
struct RuntimeEnvironment {
    let cluster: EmbeddedKafkaCluster
    let sandbox: SandboxServer
    let directory: URL
    var configuration: WorkerConfiguration

    static func start() async throws -> RuntimeEnvironment {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: brokerLogger)
        var configuration = WorkerConfiguration()
        for topic in [
            configuration.kafka.commandsTopic, configuration.kafka.statusTopic, configuration.kafka.deadLetterTopic,
        ] {
            try await cluster.createTopic(topic, partitions: 4)
        }
        var sandboxConfiguration = SandboxConfiguration(seed: 11)
        sandboxConfiguration.faults.pendingMs = 20
        sandboxConfiguration.faults.processingMs = 60
        let sandbox = try await SandboxServer.start(configuration: sandboxConfiguration, logger: quietLogger)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "worker-test-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configuration.kafka.brokers = cluster.bootstrapServers
        configuration.kafka.groupID = "workers"
        configuration.storeURL = "sqlite://\(directory.path)/payouts.db"
        configuration.dollr.baseURL = sandbox.baseURL
        configuration.dollr.credentials = sandboxConfiguration.merchant
        configuration.admin.port = 0
        configuration.engine.policy.pollInitialDelayMilliseconds = 20
        configuration.engine.policy.pollMaximumDelayMilliseconds = 200
        configuration.engine.policy.retryBaseDelayMilliseconds = 20
        configuration.shutdownTimeout = .seconds(20)
        return RuntimeEnvironment(
            cluster: cluster,
            sandbox: sandbox,
            directory: directory,
            configuration: configuration
        )
    }

    func stop() async {
        await sandbox.stop()
        await cluster.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    func producer() throws -> KafkaProducer {
        try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers),
            logger: quietLogger
        )
    }

    /// A runtime on this environment's configuration, running, with 100,000.00 USD in its wallet.
    func startRuntime() async throws -> (PayoutWorkerRuntime, Task<Void, any Error>) {
        let runtime = try await PayoutWorkerRuntime(
            configuration: configuration,
            logger: quietLogger,
            handleSignals: false
        )
        try await runtime.store.setWallet(id: "1", currency: "USD", balanceMinor: 10_000_000, now: 0)
        return (runtime, Task { try await runtime.run() })
    }

    /// Readers of the status and dead-letter topics, as downstream subscribers.
    func readOutputs() throws -> OutputReaders {
        let statuses = Recorder<KafkaMessage>()
        let deadLetters = Recorder<KafkaMessage>()
        let readers = [
            try subscribe(configuration.kafka.statusTopic, into: statuses),
            try subscribe(configuration.kafka.deadLetterTopic, into: deadLetters),
        ]
        return OutputReaders(statuses: statuses, deadLetters: deadLetters, readers: readers)
    }

    /// A plain consumer reading a whole topic into a recorder, as a downstream subscriber would.
    func subscribe(
        _ topic: String,
        into recorder: Recorder<KafkaMessage>
    ) throws -> (KafkaConsumer, Task<Void, any Error>) {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: cluster.bootstrapServers,
                groupID: "reader-\(UUID())",
                topics: [topic]
            ),
            logger: quietLogger
        )
        let task = Task {
            while true {
                let batch = try await consumer.nextBatch(maxCount: 500)
                if batch.isEmpty { return }
                recorder.append(batch)
            }
        }
        return (consumer, task)
    }
}

enum Commands {
    static func record(
        _ reference: UUID,
        amount: String = "10.00",
        phone: String = "231771234567",
        topic: String = "payouts.commands"
    ) -> KafkaProducerRecord {
        let key = reference.uuidString.lowercased()
        let json =
            #"{"reference_id":"\#(key)","amount":"\#(amount)","currency":"USD","recipient":{"account_name":"Ada","party_id":42,"phone":"\#(phone)","provider":"MTN_MOMO_LBR","method":"MTN_MOMO_LBR","country_code":"LR"}}"#
        return KafkaProducerRecord(topic: topic, key: key, value: Array(json.utf8))
    }
}

extension KafkaMessage {
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(value ?? []))) as? [String: Any] ?? [:] }
    func header(_ name: String) -> String? { headers.last(named: name)?.stringValue }
    var keyString: String { String(decoding: key ?? [], as: UTF8.self) }
}
