import ArgumentParser
import CommandSupport
import DollrSandbox
import Foundation
import Kafka
import Logging

/// A chaos run once its environment and workers are up: the fault phase, the settle phase, then
/// the verdict, its figures and the report.
struct ChaosRun {
    struct Settings {
        var seed: UInt64
        var workers: Int
        var duration: Int
        var settleTimeout: Int
        /// Artifacts were asked for: kept whatever the verdict, with the topics' records.
        var keepArtifacts: Bool
        var started: ContinuousClock.Instant
    }

    /// How the phases ended.
    enum Ending {
        /// Every command answered.
        case settled
        /// The settle timeout passed with answers missing, still coming in.
        case timedOut
        case stalled(StallReport)
        /// The broker ended on its own while the run needed it.
        case brokerCrashed(BrokerProcess.Crashed)

        var crash: BrokerProcess.Crashed? {
            if case .brokerCrashed(let crash) = self { crash } else { nil }
        }

        var stall: StallReport? {
            if case .stalled(let report) = self { report } else { nil }
        }
    }

    let settings: Settings
    let env: ChaosEnvironment
    let fleet: WorkerFleet
    let downstream: DownstreamReaders
    let producer: KafkaProducer
    let schedule: ChaosSchedule
    let progress: ChaosProgress
    let directory: URL

    var workload: CommandWorkload { env.workload }

    init(
        settings: Settings,
        env: ChaosEnvironment,
        fleet: WorkerFleet,
        progress: ChaosProgress,
        directory: URL,
        kafkaLogger: Logger
    ) throws {
        downstream = try DownstreamReaders(
            bootstrapServers: env.broker.bootstrapServers,
            topics: env.topics,
            keepRecords: settings.keepArtifacts,
            logger: kafkaLogger
        )
        var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: env.broker.bootstrapServers)
        producerConfiguration.deliveryTimeout = .seconds(120)  // outlasts any outage of the schedule
        producer = try KafkaProducer(configuration: producerConfiguration, logger: kafkaLogger)
        schedule = ChaosSchedule(seed: settings.seed, seconds: settings.duration, workers: settings.workers)
        (self.settings, self.env, self.fleet, self.progress, self.directory) = (
            settings, env, fleet, progress, directory
        )
    }

    // MARK: - Phases

    /// The fault phase, then the settle phase with every worker running. A broker crash ends them
    /// early; any other failure is thrown.
    func phases() async throws -> Ending {
        announce()
        do {
            try await faultPhase()
            try await env.calm()
            for slot in 0..<settings.workers { try await fleet.start(slot) }
            return try await settle()
        } catch {
            // Whatever failed once the broker had died failed because of it.
            guard let crash = env.broker.crash else { throw error }
            return .brokerCrashed(crash)
        }
    }

    private func announce() {
        progress.say(
            "\(workload.items.count) commands (\(workload.count(.payout)) payouts, \(workload.count(.duplicate)) duplicates, "
                + "\(workload.count(.conflict)) conflicting, \(workload.count(.rejected) + workload.count(.garbage)) invalid), \(settings.workers) workers, "
                + "\(settings.duration) s of faults: \(schedule.kills) kills, \(schedule.terminations) SIGTERMs, \(schedule.brokerOutages) broker outages, "
                + "\(schedule.sandboxPauses) sandbox pauses"
        )
    }

    /// Publishes the workload while the schedule kills and restarts workers, takes the broker
    /// down and pauses the sandbox. Faults start once the group has formed and the first payouts
    /// come out: a broker outage during the very first join would spend a short run before
    /// anything runs.
    private func faultPhase() async throws {
        let slices = ChaosCommand.slices(workload)
        try await ChaosCommand.send(slices[0], with: producer)
        try await firstEvent()
        env.sandbox.sandbox.updateFaults { ChaosFaults.on(&$0) }
        let chaosStart = ContinuousClock.now
        let duration = Duration.seconds(settings.duration)
        let producer = self.producer
        let publishing = Task {
            try await ChaosCommand.publish(slices.dropFirst(), with: producer, over: duration, from: chaosStart)
        }
        do {
            try await play(from: chaosStart)
            try await Task.sleep(until: chaosStart + duration)
        } catch {
            publishing.cancel()
            throw error
        }
        try await publishing.value
    }

    private func firstEvent() async throws {
        let warmUp = ContinuousClock.now + .seconds(120)
        while downstream.observer.snapshot.events == 0 {
            if let crash = env.broker.crash { throw crash }
            guard ContinuousClock.now < warmUp else {
                throw CommandFailure("no status event within 120 s of start: see \(directory.path)")
            }
            try await Task.sleep(for: .milliseconds(100))  // polling the observer's count
        }
    }

    /// The schedule's steps, each at its time from `chaosStart`.
    private func play(from chaosStart: ContinuousClock.Instant) async throws {
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
            progress.tick(downstream.observer.snapshot, workload: workload)
        }
    }

    /// Waits, faults off, until everything is answered, the settle timeout passes, or nothing is
    /// answered for ``StallDetector/defaultWindow`` while answers are missing.
    private func settle() async throws -> Ending {
        progress.say("faults off; waiting up to \(settings.settleTimeout) s for every answer")
        let deadline = ContinuousClock.now + .seconds(settings.settleTimeout)
        var detector = StallDetector()
        while true {
            if let crash = env.broker.crash { return .brokerCrashed(crash) }
            let snapshot = downstream.observer.snapshot
            let count = ChaosCommand.answers(workload, snapshot)
            if count.unanswered == 0 { return .settled }
            let now = ContinuousClock.now
            if let stall = detector.observe(
                at: now,
                answered: count.answered,
                unanswered: count.unanswered,
                faultsEnded: true
            ) {
                return .stalled(await reportStall(stall))
            }
            if now >= deadline { return .timedOut }
            progress.tick(snapshot, workload: workload)
            try await Task.sleep(for: .milliseconds(250))  // polling the observer's counts, not synchronising
        }
    }

    /// Reads the store's open transactions while the workers still hold them, writes the full
    /// report to the artifacts and says its summary.
    private func reportStall(_ stall: StallDetector.Stall) async -> StallReport {
        let activity: Result<ChaosStoreProbe.Activity, any Error>
        do { activity = .success(try await env.probe.activity()) } catch { activity = .failure(error) }
        let report = StallReport(
            stall: stall,
            activity: activity,
            file: directory.appendingPathComponent(StallReport.fileName)
        )
        do {
            try Data(report.text.utf8).write(to: report.file)
        } catch {
            progress.say("could not write \(report.file.path): \(error)")
        }
        progress.say(
            "stalled: \(stall.unanswered) unanswered, none answered for \(stall.lasted.components.seconds) s; "
                + "\(report.oldestSummary); full report: \(report.file.path)"
        )
        return report
    }

    // MARK: - Verdict and report

    /// Stops the workers, judges what the run left, shuts the environment down, then reports;
    /// throws the exit status when it is not 0.
    func conclude(_ ending: Ending) async throws {
        let finalExits = await fleet.stopAll(within: .seconds(30))
        // The run needs the broker until its workers are stopped: an end up to here is a crash.
        let crash = ending.crash ?? env.broker.crash
        if crash == nil {
            // Against a dead broker these would wait out their timeouts.
            await downstream.close()
            await producer.close()
        }
        let deadlocks = await deadlocksDuringRun()
        let ledger = env.sandbox.sandbox.ledgerSnapshot()
        // After a crash the workers' last drain ran against a dead broker: not theirs to answer for.
        let judged = await judge(ledger: ledger, finalExits: crash == nil ? finalExits : [], stall: ending.stall)
        let figures = await tally(
            try? judged.get(),
            ledger: ledger,
            deadlocks: deadlocks,
            stalled: ending.stall != nil,
            crashed: crash != nil
        )
        await env.shutdown()
        try downstream.writeRecords(to: directory)
        try ChaosCommand.writeRefusedExecutes(ledger, to: directory)
        switch judged {
        case .success(let verdict): try report(verdict.violations, figures: figures, crash: crash)
        case .failure(let error):
            // What the run already knows is reported all the same: the stall, the crash.
            let known = ending.stall.map { [$0.violation] } ?? []
            guard crash != nil || !known.isEmpty else { throw error }
            Self.standardError("The invariants could not be checked: \(error)")
            try report(known, figures: figures, crash: crash)
        }
    }

    /// Every invariant, and the stall if there was one.
    private func judge(
        ledger: SandboxLedgerSnapshot,
        finalExits: [Int32],
        stall: StallReport?
    ) async -> Result<ChaosVerdict, any Error> {
        do {
            var verdict = try await ChaosVerdict.check(
                workload: workload,
                downstream: downstream.observer.snapshot,
                ledger: ledger,
                store: env.store,
                opening: env.opening,
                workerExits: finalExits + (await fleet.drainExits),
                workersKilled: await fleet.kills > 0
            )
            if let stall { verdict.violations.insert(stall.violation, at: 0) }
            return .success(verdict)
        } catch {
            return .failure(error)
        }
    }

    /// Deadlocks the server broke during the run, read once the workers are stopped (a backend
    /// reports its count when it exits); nil, said on stderr, when they cannot be read.
    private func deadlocksDuringRun() async -> Int? {
        do {
            return try await env.probe.deadlocks() - env.deadlocksAtOpening
        } catch {
            progress.say("the store's deadlock count could not be read: \(error)")
            return nil
        }
    }

    /// The run's figures, and the verdict's when there is one.
    private func tally(
        _ verdict: ChaosVerdict?,
        ledger: SandboxLedgerSnapshot,
        deadlocks: Int?,
        stalled: Bool,
        crashed: Bool
    ) async -> [(String, Int)] {
        let counters = env.sandbox.sandbox.counters
        let faults =
            counters.rateLimited + counters.serverErrors + counters.hangs + counters.lostResponses
            + ledger.executions.filter { $0.status == .failed && !$0.refusedForFunds }.count
        let payouts = workload.count(.payout)
        var figures: [(String, Int)] =
            [
                ("seed", Int(truncatingIfNeeded: settings.seed)), ("commands", workload.items.count),
                ("payouts", payouts),
                ("duplicates", workload.count(.duplicate)), ("conflicts", workload.count(.conflict)),
                ("invalid", workload.count(.rejected) + workload.count(.garbage)), ("workers", settings.workers),
                ("kills", await fleet.kills), ("sigterms", await fleet.drainExits.count),
                ("broker_outages", schedule.brokerOutages),
                ("sandbox_pauses", schedule.sandboxPauses), ("faults", faults),
            ] + (verdict?.figures ?? [])
        // The store's contention and the leases that moved, per 1,000 payouts.
        if let deadlocks {
            figures += [("deadlocks", deadlocks), ("deadlocks_per_1000", deadlocks * 1_000 / max(1, payouts))]
        }
        figures += LeaseTally(logs: (0..<settings.workers).map(fleet.logFile)).figures(payouts: payouts)
        return figures + [
            ("stalled", stalled ? 1 : 0), ("broker_crashed", crashed ? 1 : 0),
            ("elapsed_s", Int((ContinuousClock.now - settings.started).components.seconds)),
        ]
    }

    /// The broker's crash, if any, and a `VIOLATION` line per violation on stderr; one line of
    /// figures on stdout; artifacts kept when asked for or when anything went wrong.
    private func report(_ violations: [String], figures: [(String, Int)], crash: BrokerProcess.Crashed?) throws {
        if let crash {
            Self.standardError(
                crash.report + "The broker cut the run short: commands left unanswered, and the holds and ledger "
                    + "differences of payouts still under way, may be its doing; every other violation is the workers'."
            )
        }
        for violation in violations { Self.standardError("VIOLATION \(violation)") }
        print(
            "chaos " + (figures + [("violations", violations.count)]).map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        )
        keepOrRemoveArtifacts(clean: violations.isEmpty && crash == nil)
        let status = ChaosCommand.exitStatus(violations: violations.count, brokerCrashed: crash != nil)
        if status != 0 { throw ExitCode(status) }
    }

    private func keepOrRemoveArtifacts(clean: Bool) {
        if clean && !settings.keepArtifacts {
            try? FileManager.default.removeItem(at: directory)
        } else {
            Self.standardError("worker and broker logs, topic contents: \(directory.path)")
        }
    }

    private static func standardError(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
