import Kafka
import Logging
import Synchronization
@_exported import TestSupport

/// A logger for tests: warnings and above, to stderr, so failures are explained without noise.
let testLogger: Logger = {
    var logger = Logger(label: "kafka-tests")
    logger.logLevel = .warning
    return logger
}()

/// Each test gets its own cluster, topic and group names, so tests can run in parallel.
/// A test ends with ``shutdown()``, after closing its clients.
struct KafkaTestEnvironment {
    let cluster: EmbeddedKafkaCluster

    init(brokers: Int = 1) throws {
        cluster = try EmbeddedKafkaCluster(brokers: brokers, logger: testLogger)
    }

    /// Stops the brokers on a thread of their own and waits for it, so the destroy (which joins
    /// librdkafka's threads) never runs on the cooperative pool when the environment is dropped.
    func shutdown() async {
        await cluster.shutdown()
    }

    func producer(logger: Logger? = nil, _ configure: (inout KafkaProducerConfiguration) -> Void = { _ in }) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.linger = .milliseconds(1)
        configure(&configuration)
        return try KafkaProducer(configuration: configuration, logger: logger ?? testLogger)
    }

    func consumer(
        group: String,
        topics: [String],
        rebalanceHandler: KafkaRebalanceHandler? = nil,
        logger: Logger? = nil,
        _ configure: (inout KafkaConsumerConfiguration) -> Void = { _ in }
    ) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: group, topics: topics)
        configuration.commitInterval = .milliseconds(200)
        configuration.statisticsInterval = .milliseconds(200)
        configuration.properties["session.timeout.ms"] = "6000"
        configuration.properties["heartbeat.interval.ms"] = "500"
        configure(&configuration)
        return try KafkaConsumer(configuration: configuration, logger: logger ?? testLogger, rebalanceHandler: rebalanceHandler)
    }
}

/// Two members of one group on a new topic, returned once each holds half the partitions, so no
/// rebalance overlaps what the test does next.
struct TwoMembers {
    let a: KafkaConsumer, b: KafkaConsumer
    let eventsA: Recorder<KafkaRebalanceEvent>, eventsB: Recorder<KafkaRebalanceEvent>
}

extension KafkaTestEnvironment {
    func twoMembers(topic: String, partitions: Int, loggerA: Logger? = nil) async throws -> TwoMembers {
        try await cluster.createTopic(topic, partitions: partitions)
        let eventsA = Recorder<KafkaRebalanceEvent>(), eventsB = Recorder<KafkaRebalanceEvent>()
        let a = try loggerA.map { try consumer(group: "g", topics: [topic], rebalanceHandler: eventsA.handler, logger: $0) }
            ?? consumer(group: "g", topics: [topic], rebalanceHandler: eventsA.handler)
        let b = try consumer(group: "g", topics: [topic], rebalanceHandler: eventsB.handler)
        try await withDeadline(.seconds(60), "both members assigned") {
            await eventsA.waitForAssignment(count: partitions / 2)
            await eventsB.waitForAssignment(count: partitions / 2)
        }
        return TwoMembers(a: a, b: b, eventsA: eventsA, eventsB: eventsB)
    }
}

/// Keyed records `key-<n % keys>` with value `<n>`, so order per key can be checked from values.
func numberedRecords(topic: String, count: Int, keys: Int, from start: Int = 0) -> [KafkaProducerRecord] {
    (start..<(start + count)).map { n in
        KafkaProducerRecord(topic: topic, key: "key-\(n % keys)", value: Array(String(n).utf8))
    }
}

extension KafkaMessage {
    var number: Int { Int(String(decoding: value ?? [], as: UTF8.self))! }
    var keyString: String { String(decoding: key ?? [], as: UTF8.self) }
}

typealias Observed = Recorder<KafkaMessage>

extension Recorder where Element == KafkaRebalanceEvent {
    /// The partitions held after replaying every recorded event.
    var currentAssignment: Set<KafkaTopicPartition> { Self.assignment(after: elements) }

    static func assignment(after events: [KafkaRebalanceEvent]) -> Set<KafkaTopicPartition> {
        events.reduce(into: Set<KafkaTopicPartition>()) { held, event in
            switch event {
            case .assigned(let partitions): held.formUnion(partitions)
            case .revoked(let partitions), .lost(let partitions): held.subtract(partitions)
            }
        }
    }

    func waitForAssignment(count: Int) async {
        await wait { Self.assignment(after: $0).count == count }
    }

    var handler: KafkaRebalanceHandler { { [self] event in self.append(event) } }
}

/// Reads from `consumer` into each recorder, storing offsets as it goes, until the consumer closes.
@discardableResult
func drain(_ consumer: KafkaConsumer, into recorders: Observed..., storeOffsets: Bool = true) -> Task<Void, any Error> {
    Task {
        while true {
            let batch = try await consumer.nextBatch(maxCount: 500)
            if batch.isEmpty { return }
            for recorder in recorders { recorder.append(batch) }
            if storeOffsets { try? consumer.storeOffsets(batch) }
        }
    }
}

/// Lets a rebalance handler reach the consumer it was created with.
final class ConsumerBox: Sendable {
    private let box = Mutex<KafkaConsumer?>(nil)
    var value: KafkaConsumer? {
        get { box.withLock { $0 } }
        set { box.withLock { $0 = newValue } }
    }
}
