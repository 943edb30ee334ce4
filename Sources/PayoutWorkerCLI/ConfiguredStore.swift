import ArgumentParser
import Foundation
import Logging
import PayoutEngine
import PayoutWorker

/// `--config FILE` for commands that work on the configured store. The configuration is loaded as
/// `payout-worker run` loads it (file, then environment), so an operator's command reaches exactly
/// the database the workers use; `PAYOUT_STORE_URL` is what matters.
struct ConfiguredStoreOptions: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: ArgumentHelp("JSON configuration file (see config/payout-worker.example.json).", valueName: "file"))
    var configFile: String?

    /// Opens and migrates the store, runs `body`, and closes the store whether `body` succeeds or not.
    func withStore<Result>(
        _ body: (any PayoutStore) async throws -> Result
    ) async throws -> Result {
        let configuration: WorkerConfiguration
        do {
            configuration = try WorkerConfigurationLoader.load(
                file: self.configFile, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CommandFailure(error.description)
        }
        // Operator commands print results on stdout; only store warnings and errors belong on stderr.
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "payout-worker.store")
        logger.logLevel = .warning
        let store: any PayoutStore
        do {
            store = try await PayoutStoreFactory.open(url: configuration.storeURL, logger: logger)
            try await store.migrate()
        } catch {
            throw CommandFailure(error.description)
        }
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }
}

/// A command that could not do its job; ArgumentParser prints `Error: <message>` on stderr and exits 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
