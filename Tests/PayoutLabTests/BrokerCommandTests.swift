import Foundation
import Kafka
import Logging
import TestSupport
import Testing

@Suite("payout-lab broker")
struct BrokerCommandTests {
    @Test("prints its bootstrap servers first, serves kcat and our client, and exits 0 on SIGTERM")
    func servesAnyKafkaClient() async throws {
        let broker = try ChildProcess(
            ChildProcess.payoutLabBinary,
            arguments: ["broker", "--brokers", "2", "--partitions", "3"]
        )
        let bootstrap = try await broker.firstLine()
        #expect(bootstrap.split(separator: ",").count == 2, "one address per broker: \(bootstrap)")

        // An independent client (kcat, librdkafka-based but not our code) sees the topics.
        let metadata = try await runCommand("/usr/bin/kcat", ["-b", bootstrap, "-L", "-J"])
        #expect(metadata.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(metadata.output.utf8)) as? [String: Any]
        let topics = (json?["topics"] as? [[String: Any]] ?? []).reduce(into: [String: Int]()) {
            $0[$1["topic"] as? String ?? ""] = ($1["partitions"] as? [Any])?.count
        }
        #expect(topics["payouts.commands"] == 3)
        #expect(topics["payouts.status"] == 3)
        #expect(topics["payouts.commands.dlq"] == 3)

        // kcat writes, our consumer reads: the broker is a real Kafka endpoint for both.
        let produced = try await runCommand(
            "/bin/sh",
            ["-c", "printf 'v1\\nv2\\nv3\\n' | /usr/bin/kcat -b \(bootstrap) -P -t payouts.commands -k ref-1"]
        )
        #expect(produced.status == 0)
        var logger = Logger(label: "cli-test")
        logger.logLevel = .warning
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: bootstrap,
                groupID: "cli-test",
                topics: ["payouts.commands"]
            ),
            logger: logger
        )
        let values = try await withDeadline(.seconds(60), "records read") {
            var seen: [String] = []
            for try await message in consumer.messages {
                seen.append(String(decoding: message.value ?? [], as: UTF8.self))
                #expect(message.key == Array("ref-1".utf8))
                if seen.count == 3 { return seen }
            }
            return seen
        }
        #expect(values == ["v1", "v2", "v3"])
        await consumer.close()

        broker.signal(SIGTERM)
        #expect(try await broker.waitForExit() == 0)
    }
}
