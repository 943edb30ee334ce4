import ArgumentParser
import CommandSupport
import EmbeddedKafka
import Foundation
import Kafka
import Logging
import ServiceLifecycle

/// `payout-lab broker`: an embedded Kafka cluster for local runs and demos, reachable by any
/// Kafka client on this machine (e.g. `kcat -b <bootstrap> -L`).
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Runs an embedded Kafka cluster (librdkafka's mock brokers) on loopback.",
        discussion: """
            Creates the topics \(PayoutTopics.all.joined(separator: ", ")) (or those given with --topic), prints the \
            bootstrap servers as the first line of stdout, logs to stderr, and runs until SIGINT or SIGTERM. \
            Data lives in memory; each partition keeps at most 5 MiB or 100,000 message sets. \
            With --control, stdin takes one command a line, each answered on stdout by `ok` or `error: REASON`: \
            `down ID` and `up ID` take a broker down and bring it back.
            """
    )

    @Option(help: "Number of brokers (ids 1...N).")
    var brokers = 1

    @Option(help: "Partitions per topic.")
    var partitions = 6

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp(
            "A topic to create instead of the defaults, as NAME:PARTITIONS; repeatable.",
            valueName: "name:partitions"
        )
    )
    var topics: [TopicSpecification] = []

    @Flag(help: "Read broker commands (down ID, up ID) from stdin.")
    var control = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (1...16).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 16") }
        guard (1...1000).contains(partitions) else { throw ValidationError("--partitions must be between 1 and 1000") }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "payout-lab.broker")
        let topics =
            self.topics.isEmpty
            ? PayoutTopics.all.map { TopicSpecification(name: $0, partitions: partitions) } : self.topics
        let service = EmbeddedBrokerService(brokers: brokers, topics: topics, control: control, logger: logger)
        let stop = await SignalledStop()
        ParentWatch.start()
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logger))
        // The cluster's shutdown closes its brokers at once; the bound is for a wedged mock.
        try await stop.run(bound: .seconds(15), logger: logger, shutdown: { await group.triggerGracefulShutdown() }) {
            try await group.run()
        }
    }
}

/// `--topic NAME:PARTITIONS`.
struct TopicSpecification: ExpressibleByArgument, Sendable {
    var name: String
    var partitions: Int

    init(name: String, partitions: Int) {
        (self.name, self.partitions) = (name, partitions)
    }

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let partitions = Int(parts[1]), (1...1000).contains(partitions)
        else { return nil }
        self.init(name: String(parts[0]), partitions: partitions)
    }
}

/// Runs the embedded cluster until graceful shutdown.
struct EmbeddedBrokerService: Service {
    let brokers: Int
    let topics: [TopicSpecification]
    let control: Bool
    let logger: Logger

    func run() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: brokers, logger: logger)
        for topic in topics {
            try await cluster.createTopic(topic.name, partitions: topic.partitions)
        }
        // The first stdout line is the contract scripts and tests read; flush it through any pipe.
        StandardOutput.writeLine(cluster.bootstrapServers)
        logger.info(
            "embedded Kafka ready",
            metadata: [
                "bootstrap": "\(cluster.bootstrapServers)", "brokers": "\(brokers)",
                "topics": "\(topics.map { "\($0.name):\($0.partitions)" }.joined(separator: ","))",
            ]
        )
        if control { Self.serveControl(cluster) }
        try? await gracefulShutdown()
        logger.info("stopping embedded Kafka")
        await cluster.shutdown()
    }

    /// Reads `down ID` / `up ID` lines from stdin until it closes, answering each on stdout in
    /// turn. `readLine` blocks: a thread of its own, never the cooperative pool.
    private static func serveControl(_ cluster: EmbeddedKafkaCluster) {
        Thread.detachNewThread {
            while let line = readLine() {
                let answered = DispatchSemaphore(value: 0)
                Task {
                    StandardOutput.writeLine(await answer(line, cluster))
                    answered.signal()
                }
                answered.wait()
            }
        }
    }

    static func answer(_ line: String, _ cluster: EmbeddedKafkaCluster) async -> String {
        let words = line.split(separator: " ")
        guard words.count == 2, let id = Int32(words[1]), id >= 1, id <= cluster.brokerCount else {
            return
                "error: expected `down ID` or `up ID` with ID in 1...\(cluster.brokerCount), got \(line.debugDescription)"
        }
        do {
            switch words[0] {
            case "down": try await cluster.setBrokerDown(id)
            case "up": try await cluster.setBrokerUp(id)
            default: return "error: unknown command \(String(words[0]).debugDescription); expected down or up"
            }
            return "ok"
        } catch {
            return "error: \(error)"
        }
    }
}
