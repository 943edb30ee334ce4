import ArgumentParser
import CommandSupport
import Logging
import PayoutWorker

/// `payout-lab demo`: the whole system on one machine, embedded. An embedded Kafka, the Dollr
/// sandbox and a SQLite store in a temporary folder; wallets declared too small for every payout;
/// a realistic mix of commands; the worker; live progress; then the invariants, checked against
/// the sandbox's ledger and the status topic.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Runs broker, Dollr sandbox, store and worker embedded, publishes a mix of commands, and checks the outcome."
    )

    @Option(help: "Commands to publish.")
    var commands = 1_000

    @Option(help: "Seed of the workload (same seed, same commands).")
    var seed: UInt64 = 2026

    @Option(help: "Give up waiting for answers after this many seconds.")
    var timeout = 120

    @Option(help: "Keep the worker and its console up this many seconds after the answers are in.")
    var linger = 0

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (10...90_000).contains(commands) else { throw ValidationError("--commands must be between 10 and 90000") }
        guard (0...86_400).contains(linger) else {
            throw ValidationError("--linger must be between 0 and 86400 seconds")
        }
    }

    func run() async throws {
        var logger = logging.bootstrap(label: "payout-lab.demo")
        if logging.level == .info { logger.logLevel = .warning }  // the progress display is the output
        let started = ContinuousClock.now
        let console = DemoConsole()
        let verdict = try await Teardown.around { teardown in
            try await self.demo(console: console, logger: logger, teardown: teardown)
        }
        console.summary(verdict, elapsed: ContinuousClock.now - started)
        if !verdict.violations.isEmpty { throw ExitCode(1) }
    }

    /// The demo's steps. Each adds to `teardown` how to stop what it started; the worker, its
    /// readers and the producer have a teardown of their own, which stops them before the verdict.
    func demo(console: DemoConsole, logger: Logger, teardown: Teardown) async throws -> DemoVerdict {
        console.step("starting embedded Kafka, Dollr sandbox and SQLite store")
        let workload = CommandWorkload(total: commands, topic: WorkerConfiguration().kafka.commandsTopic, seed: seed)
        let opening = workload.walletsTooSmallForAll
        let environment = try await DemoEnvironment.start(
            seed: seed,
            opening: opening,
            logger: logger,
            teardown: teardown
        )
        let (observer, worker) = try await Teardown.around { workerTeardown in
            let worker = try await DemoWorker.start(
                on: environment,
                opening: opening,
                logger: logger,
                teardown: workerTeardown
            )
            await showConsole(of: worker, on: console)
            let observer = try environment.startReaders(logger: logger, teardown: workerTeardown)
            console.step(
                "publishing \(workload.items.count) commands (\(workload.count(.payout)) payouts, \(workload.count(.duplicate)) duplicates, "
                    + "\(workload.count(.conflict)) conflicting, \(workload.count(.rejected)) invalid, \(workload.count(.garbage)) unreadable)"
            )
            try await environment.publish(workload, logger: logger, teardown: workerTeardown)
            try await waitForAnswers(to: workload, observer: observer, console: console)
            if linger > 0 {
                console.step("keeping the worker and its console up for \(linger) s")
                try await Task.sleep(for: .seconds(linger))
            }
            try await worker.stop()
            return (observer, worker)
        }
        return try await DemoVerdict.check(
            workload: workload,
            observer: observer.snapshot,
            ledger: environment.sandbox.sandbox.ledgerSnapshot(),
            storeURL: worker.configuration.storeURL,
            opening: opening,
            walletsBefore: worker.walletsBefore,
            logger: logger
        )
    }

    private func showConsole(of worker: DemoWorker, on console: DemoConsole) async {
        guard let port = await worker.runtime.waitForAdminPort() else { return }
        let admin = worker.configuration.admin
        console.step(
            "console: http://\(admin.host):\(port)/console"
                + (admin.token == nil ? " (read-only; set PAYOUT_ADMIN_TOKEN to resolve payouts from it)" : "")
        )
    }

    /// Shows progress until every payout and invalid command is answered and every dead letter is
    /// in, or `--timeout` passes: the invariants then say what is missing.
    private func waitForAnswers(
        to workload: CommandWorkload,
        observer: DownstreamObserver,
        console: DemoConsole
    ) async throws {
        let answerable = Set(workload.uniquePayouts.map(\.referenceID) + workload.rejectedReferences)
        let expectedDeadLetters = workload.count(.garbage) + workload.count(.conflict)
        let deadline = ContinuousClock.now + .seconds(timeout)
        while true {
            let snapshot = observer.snapshot
            let answered = answerable.filter { snapshot.finals[$0] != nil }.count
            console.progress(
                answered: answered,
                of: answerable.count,
                snapshot: snapshot,
                expectedDeadLetters: expectedDeadLetters
            )
            if answered == answerable.count && snapshot.deadLetters >= expectedDeadLetters { break }
            if ContinuousClock.now > deadline { break }
            try await Task.sleep(for: .milliseconds(200))  // refresh rate of the display
        }
        console.finishProgress()
    }
}
