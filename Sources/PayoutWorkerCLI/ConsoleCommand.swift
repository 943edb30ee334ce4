import ArgumentParser
import CommandSupport
import Foundation
import Logging
import PayoutWorker

/// `payout-worker console`: the operator console alone, against the store.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract:
            "Serves the operator console (review queue, payouts, wallets, dead letters) against the store, without Kafka intake.",
        discussion: """
            Listens on admin.host:admin.port (PAYOUT_ADMIN_HOST, PAYOUT_ADMIN_PORT) at /console. Without \
            PAYOUT_ADMIN_TOKEN (or PAYOUT_ADMIN_TOKEN_FILE) the console is read-only; with it, sign in with the \
            token to resolve payouts and re-send dead letters. SIGTERM or SIGINT stops it.
            """
    )

    @Option(name: .customLong("config"), help: "JSON configuration file (see config/payout-worker.example.json).")
    var configFile: String?

    func run() async throws {
        let (configuration, logger) = try ServiceStartup.configure(file: configFile, label: "payout-worker.console")
        let stop = await SignalledStop()
        ParentWatch.start()
        do {
            let console = try await StandaloneConsole(configuration: configuration, logger: logger)
            try await stop.run(
                bound: configuration.shutdownTimeout,
                logger: logger,
                shutdown: { await console.shutdown() }
            ) {
                try await console.run()
            }
        } catch {
            logger.critical("payout-worker console failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
