import ArgumentParser
import CommandSupport
import DollrClient
import DollrSandbox
import Foundation
import Kafka
import Logging

/// `payout-lab chaos`: the reliability proof. An embedded Kafka, the Dollr sandbox with its
/// faults on, a PostgreSQL store and several `payout-worker run` processes in one consumer group;
/// a seeded workload with duplicates, conflicts and invalid records against wallets too small for
/// all of it; workers SIGKILLed and restarted, the broker taken down, the sandbox paused. Then
/// the invariants, checked against the sandbox's ledger, the topics and the store.
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract:
            "Runs worker processes under crashes and faults, then checks that nothing was paid twice, lost or overdrawn.",
        discussion: """
            Prints one line of figures on stdout and, on stderr, a VIOLATION line per invariant violated. Same seed, \
            same workload and fault schedule. Once the faults stop, \(StallDetector.defaultWindow.components.seconds) s \
            in which no command is answered while some are still waiting is the violation `stalled`: the run stops \
            waiting and writes \(StallReport.fileName) (the store's open transactions and their locks) to the artifacts. \
            The embedded broker logs to broker.log there. Exit status: 0 when every invariant held; 1 when any was \
            violated, whether or not the broker crashed; \(brokerCrashedExitStatus) when the embedded broker crashed \
            (ended on its own while the run needed it) and no violation was found, or none could be looked for.
            """
    )

    @Option(help: "Seed of the workload and the fault schedule.")
    var seed: UInt64 = 1

    @Option(help: "Commands to publish (duplicates, conflicts and invalid records included).")
    var commands = 20_000

    @Option(help: "Worker processes in the consumer group.")
    var workers = 3

    @Option(help: "Seconds of fault injection; commands are published over the first half.")
    var duration = 60

    @Option(name: .customLong("settle-timeout"), help: "Seconds to wait for every answer once the faults stop.")
    var settleTimeout = 180

    @Option(help: "PostgreSQL URL of an empty database; by default a disposable PostgreSQL is started on loopback.")
    var store: String?

    @Option(
        help:
            "Keep worker and broker logs, the topics' contents and any stall report in this directory (default: a temporary one, kept only when something went wrong)."
    )
    var artifacts: String?

    @Option(name: .customLong("worker-log-level"), help: "Log level of the worker processes.")
    var workerLogLevel: Logger.Level = .info

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (100...200_000).contains(commands) else {
            throw ValidationError("--commands must be between 100 and 200000")
        }
        guard (1...16).contains(workers) else { throw ValidationError("--workers must be between 1 and 16") }
        guard (5...3_600).contains(duration) else {
            throw ValidationError("--duration must be between 5 and 3600 seconds")
        }
        guard settleTimeout >= 10 else { throw ValidationError("--settle-timeout must be at least 10 seconds") }
        if let store, !store.hasPrefix("postgres://"), !store.hasPrefix("postgresql://") {
            throw ValidationError(
                "--store must be a postgres:// or postgresql:// URL: the workers are separate processes on one store"
            )
        }
    }

    func run() async throws {
        var logger = logging.bootstrap(label: "payout-lab.chaos")
        if logging.level == .info { logger.logLevel = .warning }  // progress lines are the output
        // The run's own Kafka clients and broker report every outage it causes: expected, so quiet.
        var kafkaLogger = logger
        if logging.level == .info { kafkaLogger.logLevel = .critical }
        let settings = ChaosRun.Settings(
            seed: seed,
            workers: workers,
            duration: duration,
            settleTimeout: settleTimeout,
            keepArtifacts: artifacts != nil,
            started: .now
        )
        let progress = ChaosProgress(started: settings.started)
        let directory = try Self.makeDirectory(artifacts)

        progress.say("starting embedded Kafka, Dollr sandbox, PostgreSQL")
        let env = try await ChaosEnvironment.start(
            seed: seed,
            commands: commands,
            storeURL: store,
            directory: directory,
            logger: logger
        )
        let fleet = try await env.startFleet(workers: workers, logLevel: workerLogLevel, directory: directory)
        let run: ChaosRun
        let ending: ChaosRun.Ending
        do {
            run = try ChaosRun(
                settings: settings,
                env: env,
                fleet: fleet,
                progress: progress,
                directory: directory,
                kafkaLogger: kafkaLogger
            )
            ending = try await run.phases()
        } catch {
            // Whatever ends the run early, no worker process outlives it.
            _ = await fleet.stopAll(within: .seconds(30))
            await env.shutdown()
            throw error
        }
        try await run.conclude(ending)
    }

    /// The embedded broker crashed under the run and no violation was found (or none could be
    /// looked for): the run cannot judge the workers.
    static let brokerCrashedExitStatus: Int32 = 3

    /// 1 on any violation, whatever happened to the broker: a crash never hides one. Otherwise
    /// ``brokerCrashedExitStatus`` if the broker crashed, else 0.
    static func exitStatus(violations: Int, brokerCrashed: Bool) -> Int32 {
        if violations > 0 { return 1 }
        return brokerCrashed ? brokerCrashedExitStatus : 0
    }

    /// How many commands are answered and how many still wait: a final status for each payout,
    /// REJECTED for each invalid command with a reference_id, a dead letter for each unreadable
    /// or conflicting record. Identical duplicates are answered with their original.
    static func answers(
        _ workload: CommandWorkload,
        _ snapshot: DownstreamObserver.Snapshot
    ) -> (answered: Int, unanswered: Int) {
        var answered = 0
        var unanswered = 0
        for item in workload.items {
            let done: Bool
            switch item.kind {
            case .payout, .rejected: done = item.referenceID.map { snapshot.finals[$0] != nil } ?? false
            case .duplicate: continue
            case .garbage, .conflict: done = snapshot.deadLetterValues[item.text] != nil
            }
            if done { answered += 1 } else { unanswered += 1 }
        }
        return (answered, unanswered)
    }

    /// The main wave in 20 slices, then the delayed wave (late duplicates, conflicting commands).
    static func slices(_ workload: CommandWorkload) -> [[KafkaProducerRecord]] {
        let main = workload.items.filter { $0.wave == .main }.map(\.record)
        let size = (main.count + 19) / 20
        return stride(from: 0, to: main.count, by: size).map { Array(main[$0..<min($0 + size, main.count)]) }
            + [workload.items.filter { $0.wave == .delayed }.map(\.record)]
    }

    /// The remaining main slices spread over the first half of the fault phase, the delayed
    /// wave at three quarters.
    static func publish(
        _ slices: ArraySlice<[KafkaProducerRecord]>,
        with producer: KafkaProducer,
        over duration: Duration,
        from start: ContinuousClock.Instant
    ) async throws {
        let main = slices.dropLast()
        for (index, slice) in main.enumerated() {
            try await Task.sleep(until: start + duration / 2 * index / main.count)
            try await send(slice, with: producer)
        }
        try await Task.sleep(until: start + duration * 3 / 4)
        try await send(slices.last ?? [], with: producer)
    }

    /// `sandbox-refused-executes.jsonl`: every reference_id with an execute Dollr refused, and why,
    /// for a reader who wants to know how each came about (grep the worker logs for the id).
    static func writeRefusedExecutes(_ ledger: SandboxLedgerSnapshot, to directory: URL) throws {
        let lines = ledger.executions.filter { !$0.refusals.isEmpty }.map { execution in
            #"{"reference_id":"\#(execution.referenceID)","execute_calls":\#(execution.executeCalls),"accepted":\#(execution.accepted),"refusals":[\#(execution.refusals.map { "\"\($0)\"" }.joined(separator: ","))]}"#
        }
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(
            to: directory.appendingPathComponent("sandbox-refused-executes.jsonl")
        )
    }

    /// Sends until every record is delivered, as an upstream service retrying its publishes
    /// would; a record sent twice is one more identical duplicate.
    static func send(_ records: [KafkaProducerRecord], with producer: KafkaProducer) async throws {
        var pending = records
        var lastFailure: KafkaError?
        for _ in 1...5 {
            var undelivered: [KafkaProducerRecord] = []
            for (record, result) in zip(pending, await producer.sendAll(pending)) {
                if case .failure(let error) = result {
                    undelivered.append(record)
                    lastFailure = error
                }
            }
            pending = undelivered
            if pending.isEmpty { return }
        }
        if let lastFailure { throw lastFailure }
    }

    private static func makeDirectory(_ path: String?) throws -> URL {
        let directory =
            path.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                "payout-worker-chaos-\(UUID().uuidString.prefix(8))"
            )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
