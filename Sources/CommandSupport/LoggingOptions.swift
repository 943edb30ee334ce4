public import ArgumentParser
package import Logging
import PayoutWorker

/// Logging flags shared by every subcommand. Logs always go to stderr: stdout is for the
/// machine-readable lines subcommands promise (bootstrap servers, listen address, summaries).
package struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    package var level: Logger.Level = .info

    package init() {}

    /// Installs the process-wide handler (once) and returns a logger at the chosen level.
    package func bootstrap(label: String) -> Logger {
        // The worker's handler for every subcommand: phone and account numbers masked everywhere.
        WorkerLogging.bootstrap(json: false, level: level)
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

// swift-format-ignore: AvoidRetroactiveConformances
// `--log-level` parses straight into swift-log's level; neither package will declare this conformance.
extension Logger.Level: @retroactive ExpressibleByArgument {}
