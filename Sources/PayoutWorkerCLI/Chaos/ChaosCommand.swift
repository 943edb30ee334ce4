import ArgumentParser
import DollrClient
import DollrSandbox
import Foundation
import Kafka
import Logging

/// `payout-worker chaos`: the reliability proof. An embedded Kafka, the Dollr sandbox with its
/// faults on, a PostgreSQL store and several `payout-worker run` processes in one consumer group;
/// a seeded workload with duplicates, conflicts and invalid records against wallets too small for
/// all of it; workers SIGKILLed and restarted, the broker taken down, the sandbox paused. Then
/// the invariants, checked against the sandbox's ledger, the topics and the store.
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Runs worker processes under crashes and faults, then checks that nothing was paid twice, lost or overdrawn.",
        discussion: "Prints one line of figures on stdout and exits 1 if any invariant is violated. Same seed, same workload and fault schedule.")

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

    @Option(help: "Keep worker logs and the topics' contents in this directory (default: a temporary one, kept only on violation).")
    var artifacts: String?

    @Option(name: .customLong("worker-log-level"), help: "Log level of the worker processes.")
    var workerLogLevel: Logger.Level = .info

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (100...200_000).contains(commands) else { throw ValidationError("--commands must be between 100 and 200000") }
        guard (1...16).contains(workers) else { throw ValidationError("--workers must be between 1 and 16") }
        guard (5...3_600).contains(duration) else { throw ValidationError("--duration must be between 5 and 3600 seconds") }
        guard settleTimeout >= 10 else { throw ValidationError("--settle-timeout must be at least 10 seconds") }
    }

    func run() async throws {
        var logger = logging.bootstrap(label: "payout-worker.chaos")
        if logging.level == .info { logger.logLevel = .warning }  // progress lines are the output
        let started = ContinuousClock.now
        let progress = ChaosProgress(started: started)
        let directory = try Self.makeDirectory(artifacts)

        progress.say("starting embedded Kafka, Dollr sandbox, PostgreSQL")
        // The run's own Kafka clients and broker report every outage it causes: expected, so quiet.
        var kafkaLogger = logger
        if logging.level == .info { kafkaLogger.logLevel = .critical }
        let env = try await ChaosEnvironment.start(seed: seed, commands: commands, storeURL: store, directory: directory, logger: logger)
        let fleet = try await env.startFleet(workers: workers, logLevel: workerLogLevel, directory: directory)
        // Whatever ends the run early, no worker process outlives it.
        do {
            let downstream = try DownstreamReaders(
                bootstrapServers: env.broker.bootstrapServers, topics: env.topics, keepRecords: artifacts != nil, logger: kafkaLogger)
            var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: env.broker.bootstrapServers)
            producerConfiguration.deliveryTimeout = .seconds(120)  // outlasts any outage of the schedule
            let producer = try KafkaProducer(configuration: producerConfiguration, logger: kafkaLogger)
            let schedule = ChaosSchedule(seed: seed, seconds: duration, workers: workers)
            let workload = env.workload
            progress.say("\(workload.items.count) commands (\(workload.count(.payout)) payouts, \(workload.count(.duplicate)) duplicates, "
                + "\(workload.count(.conflict)) conflicting, \(workload.count(.rejected) + workload.count(.garbage)) invalid), \(workers) workers, "
                + "\(duration) s of faults: \(schedule.kills) kills, \(schedule.terminations) SIGTERMs, \(schedule.brokerOutages) broker outages, \(schedule.sandboxPauses) sandbox pauses")

            try await faultPhase(env, fleet: fleet, downstream: downstream, producer: producer, schedule: schedule, progress: progress, directory: directory)
            try await env.calm()
            for slot in 0..<workers { try await fleet.start(slot) }
            try await settle(workload, downstream: downstream, broker: env.broker, progress: progress)

            let exits = await fleet.stopAll(within: .seconds(30)) + fleet.drainExits
            if let crash = env.broker.crash { throw crash }
            await downstream.close()
            await producer.close()
            let ledger = env.sandbox.sandbox.ledgerSnapshot()
            let verdict = try await ChaosVerdict.check(
                workload: workload, downstream: downstream.observer.snapshot, ledger: ledger,
                store: env.store, opening: env.opening, workerExits: exits)
            let counters = env.sandbox.sandbox.counters
            let faults = counters.rateLimited + counters.serverErrors + counters.hangs + counters.lostResponses
                + ledger.executions.filter { $0.status == .failed && !$0.refusedForFunds }.count
            await env.shutdown()
            try downstream.writeRecords(to: directory)
            try Self.writeRefusedExecutes(ledger, to: directory)

            let figures: [(String, Int)] = [
                ("seed", Int(truncatingIfNeeded: seed)), ("commands", workload.items.count), ("payouts", workload.count(.payout)),
                ("duplicates", workload.count(.duplicate)), ("conflicts", workload.count(.conflict)),
                ("invalid", workload.count(.rejected) + workload.count(.garbage)), ("workers", workers),
                ("kills", await fleet.kills), ("sigterms", await fleet.drainExits.count), ("broker_outages", schedule.brokerOutages), ("sandbox_pauses", schedule.sandboxPauses),
                ("faults", faults),
            ] + verdict.figures + [("elapsed_s", Int((ContinuousClock.now - started).components.seconds)), ("violations", verdict.violations.count)]
            try report(figures, violations: verdict.violations, directory: directory)
        } catch {
            _ = await fleet.stopAll(within: .seconds(30))
            // Whatever failed once the broker had died failed because of it.
            guard let crash = env.broker.crash else { throw error }
            await env.shutdown()
            FileHandle.standardError.write(Data("\(crash); no verdict on the workers. Logs: \(directory.path)\n".utf8))
            print("chaos seed=\(seed) broker_crashed=1")
            throw ExitCode(Self.brokerCrashedExitStatus)
        }
    }

    /// The run could not judge the workers: librdkafka's mock broker aborted under it.
    static let brokerCrashedExitStatus: Int32 = 3

    /// Publishes the workload while the schedule kills and restarts workers, takes the broker
    /// down and pauses the sandbox. Faults start once the group has formed and the first payouts
    /// come out: a broker outage during the very first join would spend a short run before
    /// anything runs.
    private func faultPhase(
        _ env: ChaosEnvironment, fleet: WorkerFleet, downstream: DownstreamReaders, producer: KafkaProducer,
        schedule: ChaosSchedule, progress: ChaosProgress, directory: URL
    ) async throws {
        let slices = Self.slices(env.workload)
        try await Self.send(slices[0], with: producer)
        let warmUp = ContinuousClock.now + .seconds(120)
        while downstream.observer.snapshot.events == 0 {
            if let crash = env.broker.crash { throw crash }
            guard ContinuousClock.now < warmUp else { throw RunFailure("no status event within 120 s of start: see \(directory.path)") }
            try await Task.sleep(for: .milliseconds(100))  // polling the observer's count
        }
        env.sandbox.sandbox.updateFaults { ChaosFaults.on(&$0) }
        let chaosStart = ContinuousClock.now
        let publishing = Task { try await Self.publish(slices.dropFirst(), with: producer, over: .seconds(duration), from: chaosStart) }
        for step in schedule.steps {
            try await Task.sleep(until: chaosStart + .milliseconds(step.atMilliseconds))  // the schedule's clock
            if let crash = env.broker.crash { throw crash }
            switch step.action {
            case .kill(let slot): _ = await fleet.kill(slot)
            case .terminate(let slot): await fleet.terminate(slot)
            case .restart(let slot): try await fleet.start(slot)
            case .brokerDown: try await env.broker.setBrokerDown(1)
            case .brokerUp: try await env.broker.setBrokerUp(1)
            case .pauseSandbox: env.sandbox.sandbox.pause()
            case .resumeSandbox: env.sandbox.sandbox.resume()
            }
            progress.tick(downstream.observer.snapshot, workload: env.workload)
        }
        try await Task.sleep(until: chaosStart + .seconds(duration))
        try await publishing.value
    }

    /// Waits, faults off, until everything is answered or the settle timeout passes.
    private func settle(_ workload: CommandWorkload, downstream: DownstreamReaders, broker: BrokerProcess, progress: ChaosProgress) async throws {
        progress.say("faults off; waiting up to \(settleTimeout) s for every answer")
        let deadline = ContinuousClock.now + .seconds(settleTimeout)
        while !Self.answered(workload, downstream.observer.snapshot), ContinuousClock.now < deadline {
            if let crash = broker.crash { throw crash }
            progress.tick(downstream.observer.snapshot, workload: workload)
            try await Task.sleep(for: .milliseconds(250))  // polling the observer's counts, not synchronising
        }
    }

    /// One line of figures on stdout, a `VIOLATION` line per violation on stderr; artifacts kept
    /// when asked for or when something was violated.
    private func report(_ figures: [(String, Int)], violations: [String], directory: URL) throws {
        for violation in violations { FileHandle.standardError.write(Data("VIOLATION \(violation)\n".utf8)) }
        print("chaos " + figures.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        if violations.isEmpty && artifacts == nil {
            try? FileManager.default.removeItem(at: directory)
        } else {
            FileHandle.standardError.write(Data("worker logs and topic contents: \(directory.path)\n".utf8))
        }
        if !violations.isEmpty { throw ExitCode(1) }
    }

    /// Everything answered: a final status for each payout, REJECTED for each invalid command
    /// with a reference_id, a dead letter for each unreadable or conflicting record.
    static func answered(_ workload: CommandWorkload, _ snapshot: DownstreamObserver.Snapshot) -> Bool {
        workload.items.allSatisfy { item in
            switch item.kind {
            case .payout, .rejected: snapshot.finals[item.referenceID!] != nil
            case .duplicate: true
            case .garbage, .conflict: snapshot.deadLetterValues[String(decoding: item.record.value ?? [], as: UTF8.self)] != nil
            }
        }
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
    static func publish(_ slices: ArraySlice<[KafkaProducerRecord]>, with producer: KafkaProducer, over duration: Duration, from start: ContinuousClock.Instant) async throws {
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
    private static func writeRefusedExecutes(_ ledger: SandboxLedgerSnapshot, to directory: URL) throws {
        let lines = ledger.executions.filter { !$0.refusals.isEmpty }.map { execution in
            #"{"reference_id":"\#(execution.referenceID)","execute_calls":\#(execution.executeCalls),"accepted":\#(execution.accepted),"refusals":[\#(execution.refusals.map { "\"\($0)\"" }.joined(separator: ","))]}"#
        }
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: directory.appendingPathComponent("sandbox-refused-executes.jsonl"))
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
        let directory = path.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("payout-worker-chaos-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}

