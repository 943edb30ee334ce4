import ArgumentParser
import Foundation
import Kafka
import Logging
import ServiceLifecycle

/// `payout-worker broker`: an embedded Kafka cluster for local runs and demos, reachable by any
/// Kafka client on this machine (e.g. `kcat -b <bootstrap> -L`).
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Runs an embedded Kafka cluster (librdkafka's mock brokers) on loopback.",
        discussion: """
            Creates the topics \(PayoutTopics.all.joined(separator: ", ")), prints the bootstrap \
            servers as the first line of stdout, logs to stderr, and runs until SIGINT or SIGTERM. \
            Data lives in memory; each partition keeps at most 5 MiB or 100,000 message sets.
            """
    )

    @Option(help: "Number of brokers (ids 1...N).")
    var brokers = 1

    @Option(help: "Partitions per topic.")
    var partitions = 6

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (1...16).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 16") }
        guard (1...1000).contains(partitions) else { throw ValidationError("--partitions must be between 1 and 1000") }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "payout-worker.broker")
        let service = EmbeddedBrokerService(brokers: brokers, partitions: partitions, logger: logger)
        let stop = await SignalledStop()
        ParentWatch.start()
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logger))
        // The cluster's shutdown closes its brokers at once; the bound is for a wedged mock.
        try await stop.run(bound: .seconds(15), logger: logger, shutdown: { await group.triggerGracefulShutdown() }) {
            try await group.run()
        }
    }
}

/// Runs the embedded cluster until graceful shutdown.
struct EmbeddedBrokerService: Service {
    let brokers: Int
    let partitions: Int
    let logger: Logger

    func run() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: brokers, logger: logger)
        for topic in PayoutTopics.all {
            try await cluster.createTopic(topic, partitions: partitions)
        }
        // The first stdout line is the contract scripts and tests read; flush it through any pipe.
        StandardOutput.writeLine(cluster.bootstrapServers)
        logger.info("embedded Kafka ready", metadata: [
            "bootstrap": "\(cluster.bootstrapServers)", "brokers": "\(brokers)", "partitions": "\(partitions)",
            "topics": "\(PayoutTopics.all.joined(separator: ","))",
        ])
        try? await gracefulShutdown()
        logger.info("stopping embedded Kafka")
        await cluster.shutdown()
    }
}
