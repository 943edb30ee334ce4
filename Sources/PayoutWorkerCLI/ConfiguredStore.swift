import ArgumentParser
import CommandSupport
import Foundation
import Kafka
import Logging
import PayoutEngine
import PayoutWorker

/// `--config FILE` for commands that work on the configured store. The configuration is loaded as
/// `payout-worker run` loads it (file, then environment), so an operator's command reaches exactly
/// the database the workers use; `PAYOUT_STORE_URL` is what matters.
struct ConfiguredStoreOptions: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: ArgumentHelp("JSON configuration file (see config/payout-worker.example.json).", valueName: "file")
    )
    var configFile: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .warning

    /// Opens and migrates the store, runs `body`, and closes the store whether `body` succeeds or not.
    func withStore<Result>(
        _ body: (any PayoutStore) async throws -> Result
    ) async throws -> Result {
        try await withConfiguredStore { _, store in try await body(store) }
    }

    /// ``withStore(_:)``, with the configuration it was opened by.
    func withConfiguredStore<Result>(
        _ body: (WorkerConfiguration, any PayoutStore) async throws -> Result
    ) async throws -> Result {
        let configuration: WorkerConfiguration
        do {
            configuration = try WorkerConfigurationLoader.load(
                file: self.configFile,
                environment: ProcessInfo.processInfo.environment
            )
        } catch {
            throw CommandFailure(error.description)
        }
        // The worker's own handler, so the store's log lines are masked as `run`'s are: a payout's
        // stored state may hold the recipient's phone. Text, not JSON, whatever json_logs says: these
        // lines go to the operator's terminal, not to a log pipeline. Warning by default, since the
        // result is on stdout and only trouble belongs on stderr.
        WorkerLogging.bootstrap(json: false, level: self.logLevel)
        var logger = Logger(label: "payout-worker.store")
        logger.logLevel = self.logLevel
        let store: any PayoutStore
        do {
            store = try await PayoutStoreFactory.openMigrated(url: configuration.storeURL, logger: logger)
        } catch {
            throw CommandFailure(error.description)
        }
        do {
            let result = try await body(configuration, store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }
}

extension ConfiguredStoreOptions {
    /// A Kafka producer as the configuration describes it, logging at `--log-level`; the caller closes it.
    func producer(_ configuration: WorkerConfiguration, label: String) throws -> KafkaProducer {
        var logger = Logger(label: label)
        logger.logLevel = self.logLevel
        do {
            return try KafkaProducer(
                configuration: PayoutWorkerRuntime.producerConfiguration(configuration),
                logger: logger
            )
        } catch {
            throw CommandFailure("cannot start a Kafka producer: \(error)")
        }
    }
}
