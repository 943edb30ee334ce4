import DollrClient
import EmbeddedKafka
import Foundation
import Kafka
import Logging
import PayoutEngine
import PayoutWorker
import TestSupport
import Testing

/// examples/: the producers docs/upstream.md tells upstream teams to start from. Each one runs as
/// a real process against the embedded broker, and the record it published is read back with our
/// Kafka layer: keyed by its reference_id, on the partition our own producer picks for that key,
/// with its traceparent, and a command our decoder accepts. Nothing is skipped: a missing
/// interpreter or library fails the test and says what to install.
@Suite("examples/: upstream producers")
struct UpstreamExampleTests {
    static let install = "run scripts/install-dependencies --test as root, or apt-get install"
    static let traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    static let logger: Logger = {
        var logger = Logger(label: "upstream-example-tests")
        logger.logLevel = .warning
        return logger
    }()

    /// Debian's python3 with confluent-kafka; fails the test, naming the package, without them.
    static func python() async throws -> URL {
        let python = URL(fileURLWithPath: "/usr/bin/python3")
        try #require(
            FileManager.default.isExecutableFile(atPath: python.path),
            "/usr/bin/python3 is missing: \(install) python3 python3-confluent-kafka"
        )
        let probe = try await runCommand(python.path, ["-c", "import confluent_kafka"])
        try #require(
            probe.status == 0,
            "python3 cannot import confluent_kafka: \(install) python3-confluent-kafka (or pip install confluent-kafka)"
        )
        return python
    }

    /// `node` on PATH, at least version 18; fails the test, naming the package, without it.
    static func node() async throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let found = path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("node") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        let node = try #require(found, "node is not on PATH: \(install) nodejs (Node 18 or newer)")
        let version = try await runCommand(node.path, ["-p", "process.versions.node.split('.')[0]"])
        try #require(
            version.status == 0 && (Int(version.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 18,
            "node \(version.output) is older than 18: \(install) nodejs (Node 18 or newer)"
        )
        return node
    }

    /// Runs one example producer to its end and returns the partition and offset it printed.
    static func publish(
        _ interpreter: URL,
        _ script: String,
        bootstrap: String,
        referenceID: String
    ) async throws -> (partition: Int32, offset: Int64) {
        let child = try ChildProcess(
            interpreter,
            arguments: [
                Repository.path(script), "--bootstrap", bootstrap, "--reference-id", referenceID,
                "--traceparent", traceParent,
            ]
        )
        let status = try await child.waitForExit(within: .seconds(60))
        try #require(status == 0, "\(script) exited \(status): \(child.stderr)")
        let line = try #require(child.stdoutLines.elements.last, "\(script) printed nothing")
        let printed = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            "\(script) printed \(line)"
        )
        #expect(printed["reference_id"] as? String == referenceID)
        let partition = try #require(printed["partition"] as? Int, "\(script) printed \(line)")
        let offset = try #require(printed["offset"] as? Int, "\(script) printed \(line)")
        return (Int32(partition), Int64(offset))
    }

    @Test(
        "the Python and Node producers each publish a command our decoder accepts, keyed by its reference_id, on the partition our producer picks for that key"
    )
    func producersPublishDecodableCommands() async throws {
        let python = try await Self.python()
        let node = try await Self.node()
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: Self.logger)
        let topic = "payouts.commands"
        try await cluster.createTopic(topic, partitions: 6)
        let referenceID = UUID().uuidString.lowercased()

        do {
            let fromPython = try await Self.publish(
                python,
                "examples/python/publish_payout.py",
                bootstrap: cluster.bootstrapServers,
                referenceID: referenceID
            )
            let fromNode = try await Self.publish(
                node,
                "examples/node/publish-payout.js",
                bootstrap: cluster.bootstrapServers,
                referenceID: referenceID
            )

            // Our producer (murmur2_random, as the Java client partitions) puts the key on the same
            // partition: one reference_id, one partition, whichever language publishes it.
            var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
            producerConfiguration.linger = .milliseconds(1)
            let producer = try KafkaProducer(configuration: producerConfiguration, logger: Self.logger)
            let ours = try await producer.send(
                KafkaProducerRecord(topic: topic, key: referenceID, value: Array("ours".utf8))
            )
            await producer.close()
            #expect(fromPython.partition == ours.topicPartition.partition)
            #expect(fromNode.partition == ours.topicPartition.partition)

            var consumerConfiguration = KafkaConsumerConfiguration(
                bootstrapServers: cluster.bootstrapServers,
                groupID: "upstream-example-tests",
                topics: [topic]
            )
            consumerConfiguration.properties["session.timeout.ms"] = "6000"
            let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: Self.logger)
            let messages = try await withDeadline(.seconds(60), "the three records read back") {
                var seen: [KafkaMessage] = []
                for try await message in consumer.messages {
                    seen.append(message)
                    if seen.count == 3 { break }
                }
                return seen
            }
            await consumer.close()

            let decoder = CommandDecoder()
            var fingerprints: [String] = []
            var values: [String] = []
            for (name, place) in [("python", fromPython), ("node", fromNode)] {
                let message = try #require(
                    messages.first { $0.partition == place.partition && $0.offset == place.offset },
                    "the \(name) record at \(place.partition)@\(place.offset) was read back"
                )
                #expect(message.key == Array(referenceID.utf8), "\(name): keyed by its reference_id")
                #expect(IntakeRecord(message).traceParent == Self.traceParent, "\(name): traceparent read by intake")
                let command = try decoder.decode(key: message.key, value: message.value).get()
                #expect(command.referenceKey == referenceID, "\(name)")
                #expect(command.amount == Money(minorUnits: 2500, currency: .usd), "\(name)")
                guard case .newAccount(let recipient) = command.recipient else {
                    Issue.record("\(name): a recipient, not an existing account")
                    continue
                }
                #expect(recipient.provider == .mtnMomoLiberia && recipient.method == .mtnMomoLiberia, "\(name)")
                #expect(command.metadata == ["order_id": "A-1001"], "\(name)")
                fingerprints.append(command.fingerprint)
                values.append(String(decoding: message.value ?? [], as: UTF8.self))
            }
            // Only requested_at differs between the two: the second is a duplicate of the first.
            #expect(fingerprints.count == 2 && fingerprints[0] == fingerprints[1])
            // And both are commands by the contract's own judge, python3-jsonschema.
            #expect(try await ContractValidator.problems(values, against: "payout-command.schema.json") == [nil, nil])
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    @Test("every example in contracts/payout-command.schema.json is a command our decoder accepts")
    func schemaExamplesDecode() throws {
        let schema = try #require(
            try JSONSerialization.jsonObject(
                with: Data(try Repository.text("contracts/payout-command.schema.json").utf8)
            ) as? [String: Any]
        )
        let examples = try #require(schema["examples"] as? [[String: Any]], "the schema has examples")
        #expect(!examples.isEmpty)
        for example in examples {
            let value = try JSONSerialization.data(withJSONObject: example)
            let key = try #require(example["reference_id"] as? String)
            let decoded = CommandDecoder().decode(key: Array(key.utf8), value: Array(value))
            #expect((try? decoded.get()) != nil, "\(key): \(decoded)")
        }
    }
}
