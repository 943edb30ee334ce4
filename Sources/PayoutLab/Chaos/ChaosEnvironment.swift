import DollrClient
import DollrSandbox
import Foundation
import Kafka
import LocalPostgres
import Logging
import PayoutEngine
import PayoutWorker

/// What a chaos run stands on: an embedded Kafka with the worker's topics (in a child process:
/// see ``BrokerProcess``), the Dollr sandbox
/// (faults off until the run turns them on), a migrated PostgreSQL store with a connection of its
/// own to ask the server about itself, and both ledgers opened with the same balances, too small
/// for every payout of the workload.
struct ChaosEnvironment {
    let topics: WorkerConfiguration.Kafka
    let broker: BrokerProcess
    let sandbox: SandboxServer
    let storeURL: String
    let store: any PayoutStore
    let probe: ChaosStoreProbe
    /// The database's deadlock count when the run began (``ChaosStoreProbe/deadlocks()``).
    let deadlocksAtOpening: Int
    let workload: CommandWorkload
    let opening: [(currency: CurrencyCode, balanceMinor: Int64)]

    static func start(
        seed: UInt64,
        commands: Int,
        storeURL given: String?,
        directory: URL,
        logger: Logger
    ) async throws -> ChaosEnvironment {
        let topics = WorkerConfiguration().kafka
        // Enough partitions to stay under the embedded broker's 5 MiB per partition on long runs
        // (a command is about 350 bytes; each payout has about four status events).
        let broker = try await BrokerProcess.start(
            executable: LabExecutables.lab,
            topics: [
                (topics.commandsTopic, max(6, commands / 8_000)), (topics.statusTopic, max(6, commands / 2_000)),
                (topics.deadLetterTopic, 3),
            ],
            logFile: directory.appendingPathComponent("broker.log")
        )
        var sandboxConfiguration = SandboxConfiguration(seed: seed)
        sandboxConfiguration.merchant = try MerchantCredentials.fromEnvironment(
            ProcessInfo.processInfo.environment,
            defaults: .sandboxDefaults
        )
        ChaosFaults.off(&sandboxConfiguration.faults)
        let sandbox = try await SandboxServer.start(configuration: sandboxConfiguration, logger: logger)
        let storeURL: String
        if let given {
            storeURL = given
        } else {
            storeURL = try await LocalPostgresServer.shared.createDatabase(prefix: "chaos")
        }
        let store = try await PayoutStoreFactory.open(url: storeURL, logger: logger)
        try await store.migrate()
        let probe = try await ChaosStoreProbe.connect(url: storeURL, logger: logger)
        let deadlocksAtOpening = try await probe.deadlocks()

        let workload = CommandWorkload(total: commands, topic: topics.commandsTopic, seed: seed, mix: .chaos)
        let opening = workload.walletsTooSmallForAll
        for (index, wallet) in opening.enumerated() {
            try await store.setWallet(
                id: String(index + 1),
                currency: wallet.currency.code,
                balanceMinor: wallet.balanceMinor,
                now: StoreClock.system.now()
            )
            sandbox.sandbox.setWalletBalance(Money(minorUnits: wallet.balanceMinor, currency: wallet.currency))
        }
        return ChaosEnvironment(
            topics: topics,
            broker: broker,
            sandbox: sandbox,
            storeURL: storeURL,
            store: store,
            probe: probe,
            deadlocksAtOpening: deadlocksAtOpening,
            workload: workload,
            opening: opening
        )
    }

    /// `workers` `payout-worker run` processes on this environment, started.
    func startFleet(workers: Int, logLevel: Logger.Level, directory: URL) async throws -> WorkerFleet {
        let configFile = directory.appendingPathComponent("worker.json")
        try Data(ChaosFaults.workerConfiguration(logLevel: logLevel.rawValue).utf8).write(to: configFile)
        var environment = ProcessInfo.processInfo.environment
        environment["PAYOUT_KAFKA_BROKERS"] = broker.bootstrapServers
        environment["PAYOUT_STORE_URL"] = storeURL
        environment["DOLLR_BASE_URL"] = sandbox.baseURL.absoluteString
        environment["PAYOUT_ADMIN_PORT"] = "0"
        environment["PAYOUT_LOG_LEVEL"] = nil
        let fleet = WorkerFleet(
            count: workers,
            executable: try LabExecutables.worker(),
            arguments: ["run", "--config", configFile.path],
            environment: environment,
            logDirectory: directory
        )
        for slot in 0..<workers { try await fleet.start(slot) }
        return fleet
    }

    /// Every fault off, the broker up: the run must now settle by itself.
    func calm() async throws {
        sandbox.sandbox.updateFaults { ChaosFaults.off(&$0) }
        sandbox.sandbox.resume()
        try await broker.setBrokerUp(1)
    }

    /// Stops everything; the broker's end is then the run's doing, never a crash.
    func shutdown() async {
        await probe.close()
        await store.close()
        await sandbox.stop()
        await broker.stop()
    }
}
