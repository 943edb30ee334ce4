import ArgumentParser
import Foundation
import Logging
import PayoutWorker

/// What a long-running subcommand (`run`, `console`) does first: load the configuration from the
/// file and the environment, exiting 78 (EX_CONFIG) with the offending key named if it is bad,
/// then set up logging as it says.
enum ServiceStartup {
    static func configure(file: String?, label: String) throws -> (WorkerConfiguration, Logger) {
        let configuration: WorkerConfiguration
        do {
            configuration = try WorkerConfigurationLoader.load(
                file: file,
                environment: ProcessInfo.processInfo.environment
            )
        } catch {
            FileHandle.standardError.write(Data("payout-worker: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        WorkerLogging.bootstrap(
            json: configuration.jsonLogs,
            level: level,
            metadataProvider: WorkerTracing.logMetadataProvider(ProcessInfo.processInfo.environment)
        )
        var logger = Logger(label: label)
        logger.logLevel = level
        return (configuration, logger)
    }
}
