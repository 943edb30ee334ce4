import EmbeddedKafka
import Foundation
import Kafka
import Logging
import PayoutEngine
import PayoutWorker

/// A `PayoutWorkerRuntime` in this process on its own topics, group and store, with a status
/// watcher. `measure` produces a burst of fresh payouts and waits for each one's final event.
final class RuntimeRun: Sendable {
    struct Burst {
        var started: ContinuousClock.Instant
        var finals: [ContinuousClock.Instant]
        var completed: Int
        var cpuSeconds: Double
        var sandboxCalls: Int
        /// The burst's reference_ids.
        var references: [String]
        /// Finals other than COMPLETED so far in this run, by status and reason.
        var otherFinals: [String: Int]
        /// Command-to-final-event latency of each payout, in milliseconds (the burst's start to its event).
        var latenciesMs: [Double] { finals.map { ($0 - started).seconds * 1000 } }
    }

    let runtime: PayoutWorkerRuntime
    let configuration: WorkerConfiguration
    private let environment: BenchEnvironment
    private let watcher: StatusWatcher
    private let running: Task<Void, any Error>

    init(environment: BenchEnvironment, name: String, tune: (inout WorkerConfiguration) -> Void) async throws {
        var configuration = WorkerConfiguration()
        configuration.kafka.brokers = environment.cluster.bootstrapServers
        configuration.kafka.groupID = "bench-\(name)"
        let topics = try await environment.workerTopics(name)
        configuration.kafka.commandsTopic = topics.commands
        configuration.kafka.statusTopic = topics.status
        configuration.kafka.deadLetterTopic = topics.deadLetters
        configuration.storeURL = environment.storeURL(for: name)
        configuration.dollr.baseURL = environment.sandbox.baseURL
        configuration.admin.port = 0
        configuration.workerID = "bench-\(name)"
        configuration.shutdownTimeout = .seconds(15)
        tune(&configuration)
        self.configuration = configuration
        self.environment = environment
        let runtime = try await PayoutWorkerRuntime(
            configuration: configuration,
            logger: environment.logger,
            handleSignals: false
        )
        try await BenchEnvironment.fundWallet(runtime.store)
        self.runtime = runtime
        watcher = try StatusWatcher(environment: environment, topic: configuration.kafka.statusTopic)
        running = Task { try await runtime.run() }
    }

    /// Publishes `count` fresh payouts at once and waits for every final event.
    func measure(count: Int, timeout: Duration) async throws -> Burst {
        let (records, references) = BenchCommands.records(
            count: count,
            topic: configuration.kafka.commandsTopic,
            executable: true
        )
        let cpuBefore = ProcessUsage.cpuSeconds()
        let callsBefore = environment.sandbox.sandbox.counters.requests
        let completedBefore = watcher.snapshot.completed
        let started = ContinuousClock.now
        try await environment.produce(records)
        let finals = try await watcher.waitForFinals(of: references, timeout: timeout)
        let cpu = ProcessUsage.cpuSeconds() - cpuBefore
        let calls = environment.sandbox.sandbox.counters.requests - callsBefore
        let completed = watcher.snapshot.completed - completedBefore
        return Burst(
            started: started,
            finals: finals,
            completed: completed,
            cpuSeconds: cpu,
            sandboxCalls: calls,
            references: references,
            otherFinals: watcher.snapshot.otherFinals
        )
    }

    func stop() async throws {
        await runtime.shutdown()
        try await running.value
        await watcher.close()
    }
}
