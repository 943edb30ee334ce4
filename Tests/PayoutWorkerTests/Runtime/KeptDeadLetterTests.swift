import EmbeddedKafka
import Foundation
import Kafka
import PayoutEngine
import PayoutWorker
import TestSupport
import Testing

/// A dead letter the dead-letter topic refuses for good (here: larger than the producer's
/// `message.max.bytes`, which librdkafka refuses locally) must not hold its partition for ever.
@Suite("Dead letters refused for good")
struct KeptDeadLetterTests {
    @Test(
        "kept in the store with its origin, the partition moves on, the gauge says so; `dead-letters retry` sends it once the topic takes it"
    )
    func refusedDeadLetterIsKeptAndSentLater() async throws {
        var env = try await RuntimeEnvironment.start()
        env.configuration.kafka.producerProperties["message.max.bytes"] = "4000"
        let (runtime, running) = try await env.startRuntime()
        let outputs = try env.readOutputs()
        let statuses = outputs.statuses
        let deadLetters = outputs.deadLetters

        // An unreadable 6 KB record, then payouts on the same partition, which must not wait behind it.
        let references = (0..<5).map { _ in UUID() }
        let big = KafkaProducerRecord(
            topic: "payouts.commands",
            partition: 0,
            key: Array("unreadable".utf8),
            value: Array(("{not json " + String(repeating: "x", count: 6_000)).utf8)
        )
        let producer = try env.producer()
        #expect(await producer.sendAll([big]).allSatisfy { (try? $0.get()) != nil })
        #expect(
            await producer.sendAll(
                references.map { Commands.record($0, phone: "231771234567") }.map {
                    KafkaProducerRecord(topic: $0.topic, partition: 0, key: $0.key, value: $0.value)
                }
            ).allSatisfy { (try? $0.get()) != nil }
        )

        let keys = Set(references.map { $0.uuidString.lowercased() })
        try await withDeadline(.seconds(90), "every payout behind the refused record final") {
            await statuses.wait { messages in
                Set(
                    messages.filter { $0.json["status"] as? String == "COMPLETED" }.compactMap {
                        $0.json["reference_id"] as? String
                    }
                ) == keys
            }
        }
        let kept = try await runtime.store.keptDeadLetters(unsentOnly: true, limit: 10)
        #expect(kept.count == 1)
        let letter = try #require(kept.first)
        #expect(
            letter.reason == "VALIDATION_ERROR" && letter.sourceTopic == "payouts.commands" && letter.sourceOffset == 0
        )
        #expect(letter.value == big.value && letter.key == big.key, "nothing lost")
        #expect(letter.error.contains("MSG_SIZE_TOO_LARGE"), "\(letter.error)")
        let port = try #require(runtime.adminPort)
        #expect(try await HTTPProbe.get(port: port, "/metrics").body.contains("payout_dead_letters_kept 1"))

        // The operator's view and retry, through the binary, with a producer that takes it.
        let environment = [
            "PAYOUT_STORE_URL": env.configuration.storeURL, "PAYOUT_KAFKA_BROKERS": env.cluster.bootstrapServers,
        ]
        let list = try ChildProcess(
            ChildProcess.payoutWorkerBinary,
            arguments: ["dead-letters", "list"],
            environment: environment
        )
        #expect(try await list.waitForExit() == 0)
        let listed = list.stdoutLines.elements.joined(separator: "\n")
        #expect(
            listed.contains("VALIDATION_ERROR") && listed.contains("payouts.commands[\(letter.sourcePartition)]@0"),
            "\(listed)"
        )
        #expect(!listed.contains("xxxxxxxx") && !listed.contains("not json"), "the value is never printed")
        let retry = try ChildProcess(
            ChildProcess.payoutWorkerBinary,
            arguments: ["dead-letters", "retry"],
            environment: environment
        )
        #expect(try await retry.waitForExit() == 0, "\(retry.stderr)")
        try await withDeadline(.seconds(60), "the kept letter on the dead-letter topic") {
            await deadLetters.wait { $0.contains { $0.value == big.value } }
        }
        let sent = try #require(deadLetters.elements.first { $0.value == big.value })
        #expect(
            sent.header("dlq.reason") == "VALIDATION_ERROR" && sent.header("dlq.original.offset") == "0"
                && sent.keyString == "unreadable"
        )
        #expect(try await runtime.store.unsentDeadLetterCount() == 0)

        await outputs.close()
        await producer.close()
        await runtime.shutdown()
        try await running.value
        await env.stop()
    }
}
