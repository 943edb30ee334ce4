import EmbeddedKafka
import Foundation
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

    func producer(
        logger: Logger? = nil,
        _ configure: (inout KafkaProducerConfiguration) -> Void = { _ in }
    ) throws -> KafkaProducer {
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
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServers,
            groupID: group,
            topics: topics
        )
        configuration.commitInterval = .milliseconds(200)
        configuration.statisticsInterval = .milliseconds(200)
        configuration.properties["session.timeout.ms"] = "6000"
        configuration.properties["heartbeat.interval.ms"] = "500"
        configure(&configuration)
        return try KafkaConsumer(
            configuration: configuration,
            logger: logger ?? testLogger,
            rebalanceHandler: rebalanceHandler
        )
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
        let eventsA = Recorder<KafkaRebalanceEvent>()
        let eventsB = Recorder<KafkaRebalanceEvent>()
        let a =
            try loggerA.map { try consumer(group: "g", topics: [topic], rebalanceHandler: eventsA.handler, logger: $0) }
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

/// librdkafka's main threads ("rdk:main") of this process that used more than half of `window`
/// in CPU time during it, as "thread id: seconds". An idle handle's main thread wakes a few times
/// a second; one that spins shows here.
func busyLibrdkafkaMainThreads(over window: Duration) async throws -> [String] {
    let before = librdkafkaMainThreadCPU()
    try await Task.sleep(for: window)
    let after = librdkafkaMainThreadCPU()
    let limit = Double(window.components.seconds) / 2
    return after.compactMap { thread, seconds in
        let used = seconds - (before[thread] ?? 0)
        return used > limit ? "\(thread): \(used) s" : nil
    }
}

/// CPU seconds (user and system) of each "rdk:main" thread, by thread id, from /proc.
private func librdkafkaMainThreadCPU() -> [String: Double] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    var cpu: [String: Double] = [:]
    for thread in tasks {
        guard let stat = try? String(contentsOfFile: "/proc/self/task/\(thread)/stat", encoding: .utf8),
            let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
            stat[stat.index(after: open)..<close] == "rdk:main"
        else { continue }
        // After the name: state, then 10 fields, then utime and stime (fields 14 and 15 of proc(5)).
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
        cpu[thread] = (user + system) / ticks
    }
    return cpu
}
