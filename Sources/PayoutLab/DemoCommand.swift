import ArgumentParser
import CommandSupport
import DollrClient
import DollrSandbox
import EmbeddedKafka
import Foundation
import Kafka
import Logging
import PayoutEngine
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

        console.step("starting embedded Kafka, Dollr sandbox and SQLite store")
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        var configuration = WorkerConfiguration()
        for topic in [
            configuration.kafka.commandsTopic, configuration.kafka.statusTopic, configuration.kafka.deadLetterTopic,
        ] {
            try await cluster.createTopic(topic, partitions: 6)
        }
        var sandboxConfiguration = SandboxConfiguration(seed: seed)
        // The same four variables as the worker and the sandbox, so one environment makes both sides
        // agree (and a test can run the demo with recognisable secrets and scan what it prints).
        sandboxConfiguration.merchant = try MerchantCredentials.fromEnvironment(
            ProcessInfo.processInfo.environment,
            defaults: .sandboxDefaults
        )
        sandboxConfiguration.faults.pendingMs = 200
        sandboxConfiguration.faults.processingMs = 800
        // Both ledgers open with the same balances, so the invariants can hold them to agreeing.
        let workload = CommandWorkload(total: commands, topic: configuration.kafka.commandsTopic, seed: seed)
        let opening = workload.walletsTooSmallForAll
        sandboxConfiguration.wallets = opening.map { Money(minorUnits: $0.balanceMinor, currency: $0.currency) }
        let sandbox = try await SandboxServer.start(configuration: sandboxConfiguration, logger: logger)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "payout-worker-demo-\(UUID().uuidString.prefix(8))"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        configuration.kafka.brokers = cluster.bootstrapServers
        configuration.kafka.groupID = "payout-worker-demo"
        configuration.storeURL = "sqlite://\(directory.path)/payouts.db"
        configuration.dollr.baseURL = sandbox.baseURL
        configuration.dollr.credentials = sandboxConfiguration.merchant
        configuration.admin.port = 0
        configuration.workerID = "demo-worker"
        // The console is read-only unless the operator gives a token to sign in with.
        if let token = ProcessInfo.processInfo.environment["PAYOUT_ADMIN_TOKEN"], !token.isEmpty {
            configuration.admin.token = Secret(token)
        }
        configuration.shutdownTimeout = .seconds(15)
        configuration.engine.policy.pollInitialDelayMilliseconds = 250
        configuration.engine.policy.pollMaximumDelayMilliseconds = 1_000

        let runtime = try await PayoutWorkerRuntime(configuration: configuration, logger: logger, handleSignals: false)
        for (index, wallet) in opening.enumerated() {
            try await runtime.store.setWallet(
                id: String(index + 1),
                currency: wallet.currency.code,
                balanceMinor: wallet.balanceMinor,
                now: StoreClock.system.now()
            )
        }
        let walletsBefore = try await runtime.store.wallets()
        let running = Task { try await runtime.run() }
        if let port = await runtime.waitForAdminPort() {
            console.step(
                "console: http://\(configuration.admin.host):\(port)/console"
                    + (configuration.admin.token == nil
                        ? " (read-only; set PAYOUT_ADMIN_TOKEN to resolve payouts from it)" : "")
            )
        }

        // Downstream subscribers: plain consumers on the status and dead-letter topics.
        let observer = DownstreamObserver()
        let statusReader = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: cluster.bootstrapServers,
                groupID: "demo-status-reader",
                topics: [configuration.kafka.statusTopic]
            ),
            logger: logger
        )
        let deadLetterReader = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: cluster.bootstrapServers,
                groupID: "demo-dlq-reader",
                topics: [configuration.kafka.deadLetterTopic]
            ),
            logger: logger
        )
        let readers = [
            Task { for try await message in statusReader.messages { observer.observeStatus(message) } },
            Task { for try await message in deadLetterReader.messages { observer.observeDeadLetter(message) } },
        ]

        console.step(
            "publishing \(workload.items.count) commands (\(workload.count(.payout)) payouts, \(workload.count(.duplicate)) duplicates, "
                + "\(workload.count(.conflict)) conflicting, \(workload.count(.rejected)) invalid, \(workload.count(.garbage)) unreadable)"
        )
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers),
            logger: logger
        )
        let delivered = await producer.sendAll(workload.items.map(\.record))
        guard delivered.allSatisfy({ (try? $0.get()) != nil }) else {
            throw CommandFailure("the embedded broker refused commands")
        }

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
        if linger > 0 {
            console.step("keeping the worker and its console up for \(linger) s")
            try await Task.sleep(for: .seconds(linger))
        }

        await runtime.shutdown()
        try await running.value
        await statusReader.close()
        await deadLetterReader.close()
        for reader in readers { _ = try? await reader.value }
        await producer.close()

        let verdict = try await DemoVerdict.check(
            workload: workload,
            observer: observer.snapshot,
            ledger: sandbox.sandbox.ledgerSnapshot(),
            storeURL: configuration.storeURL,
            opening: opening,
            walletsBefore: walletsBefore,
            logger: logger
        )
        await sandbox.stop()
        await cluster.shutdown()
        console.summary(verdict, elapsed: ContinuousClock.now - started)
        if !verdict.violations.isEmpty { throw ExitCode(1) }
    }
}
