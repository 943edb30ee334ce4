import Kafka
import Logging
import Synchronization

/// A logger for tests: warnings and above, to stderr, so failures are explained without noise.
let testLogger: Logger = {
    var logger = Logger(label: "kafka-tests")
    logger.logLevel = .warning
    return logger
}()

/// Each test gets its own cluster, topic and group names, so tests can run in parallel.
struct KafkaTestEnvironment {
    let cluster: EmbeddedKafkaCluster

    init(brokers: Int = 1) throws {
        cluster = try EmbeddedKafkaCluster(brokers: brokers, logger: testLogger)
    }

    func producer(_ configure: (inout KafkaProducerConfiguration) -> Void = { _ in }) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.linger = .milliseconds(1)
        configure(&configuration)
        return try KafkaProducer(configuration: configuration, logger: testLogger)
    }

    func consumer(
        group: String,
        topics: [String],
        rebalanceHandler: KafkaRebalanceHandler? = nil,
        _ configure: (inout KafkaConsumerConfiguration) -> Void = { _ in }
    ) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: group, topics: topics)
        configuration.commitInterval = .milliseconds(200)
        configuration.statisticsInterval = .milliseconds(200)
        configuration.properties["session.timeout.ms"] = "6000"
        configuration.properties["heartbeat.interval.ms"] = "500"
        configure(&configuration)
        return try KafkaConsumer(configuration: configuration, logger: testLogger, rebalanceHandler: rebalanceHandler)
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

/// Records what happens (messages seen, rebalance events) and lets a test wait for a condition on
/// the record instead of sleeping.
final class Recorder<Element: Sendable>: Sendable {
    private struct Waiter {
        var id: Int
        var predicate: @Sendable ([Element]) -> Bool
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var elements: [Element] = []
        var waiters: [Waiter] = []
        var nextID = 0
    }

    private let state = Mutex(State())

    var elements: [Element] { state.withLock { $0.elements } }

    func append(_ batch: [Element]) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.elements.append(contentsOf: batch)
            let all = state.elements
            let (done, pending) = state.waiters.reduce(into: ([Waiter](), [Waiter]())) {
                if $1.predicate(all) { $0.0.append($1) } else { $0.1.append($1) }
            }
            state.waiters = pending
            return done.map(\.continuation)
        }
        ready.forEach { $0.resume() }
    }

    func append(_ element: Element) { append([element]) }

    /// Suspends until `predicate` holds for everything recorded so far, or the task is cancelled.
    func wait(until predicate: @escaping @Sendable ([Element]) -> Bool) async {
        let id = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let satisfied = state.withLock { state -> Bool in
                    if predicate(state.elements) || Task.isCancelled { return true }
                    state.waiters.append(Waiter(id: id, predicate: predicate, continuation: continuation))
                    return false
                }
                if satisfied { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }?.resume()
        }
    }
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

/// Polls a condition that has no event to await (statistics, buffer levels), with a deadline.
func eventually(_ what: String, within limit: Duration = .seconds(30), _ condition: @Sendable () async -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while !(await condition()) {
        guard ContinuousClock.now < deadline else { throw DeadlineExceeded(what: what, limit: limit) }
        try await Task.sleep(for: .milliseconds(20))
    }
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

/// Runs `body` with a deadline; a hung protocol fails the test instead of hanging CI.
func withDeadline<T: Sendable>(_ limit: Duration = .seconds(60), _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw DeadlineExceeded(what: what, limit: limit)
        }
        group.cancelAll()
        return value
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    let limit: Duration
    var description: String { "\(what) did not happen within \(limit)" }
}

/// Lets a rebalance handler reach the consumer it was created with.
final class ConsumerBox: Sendable {
    private let box = Mutex<KafkaConsumer?>(nil)
    var value: KafkaConsumer? {
        get { box.withLock { $0 } }
        set { box.withLock { $0 = newValue } }
    }
}
