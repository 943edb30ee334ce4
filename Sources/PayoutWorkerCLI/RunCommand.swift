import ArgumentParser
import CommandSupport
import Foundation
import Kafka
import Logging
import PayoutWorker

/// `payout-worker run`: the service. Configuration from `--config FILE` and the environment;
/// invalid settings stop start-up with the key named, before anything connects.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs the payout worker: Kafka intake, payout execution, status events, admin HTTP.",
        discussion: "Settings: config/payout-worker.example.json documents every key and its environment variable. "
            + "SIGTERM or SIGINT drains and exits 0 (70 if the drain overruns shutdown_timeout_ms by 10 s); "
            + "during start-up, before anything runs, it exits 0 at once."
    )

    @Option(name: .customLong("config"), help: "JSON configuration file.")
    var configFile: String?

    func run() async throws {
        let (configuration, logger) = try ServiceStartup.configure(file: configFile, label: "payout-worker")
        // The signals are trapped since before `main` (SignalTrap): one that arrives while the
        // configuration loads or the store, the Dollr client and the Kafka clients are still
        // opening (an orchestrator stopping a pod that just started) ends the process at once with
        // exit 0, since nothing runs yet; from `stop.run` on, a signal drains the runtime.
        let stop = await SignalledStop()
        ParentWatch.start()
        logger.info("payout-worker starting", metadata: ["librdkafka": "\(KafkaLibrary.version)"])
        do {
            let tracing = try WorkerTracing.bootstrap(ProcessInfo.processInfo.environment)
            if tracing != nil { logger.info("tracing on: spans are exported over OTLP/HTTP") }
            let runtime = try await PayoutWorkerRuntime(
                configuration: configuration,
                logger: logger,
                handleSignals: false,
                observability: tracing
            )
            // The drain is bounded by shutdown_timeout (the services are cancelled in time and
            // every Kafka close has its own bound); the 10 s past it are for a dependency that
            // ignores cancellation.
            try await stop.run(
                bound: configuration.shutdownTimeout + .seconds(10),
                logger: logger,
                shutdown: { await runtime.shutdown() }
            ) {
                try await runtime.run()
            }
        } catch {
            logger.critical("payout-worker failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
