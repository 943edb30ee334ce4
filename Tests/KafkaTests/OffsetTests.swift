import EmbeddedKafka
import Kafka
import Testing

@Suite("Offsets")
struct OffsetTests {
    @Test("committed offsets survive a restart: the next member resumes right after the last stored offset")
    func committedOffsetsSurviveRestart() async throws {
        let env = try KafkaTestEnvironment()
        try await env.cluster.createTopic("payments", partitions: 2)
        let producer = try env.producer()
        let records = (0..<1000).map { n in
            KafkaProducerRecord(
                topic: "payments",
                partition: Int32(n % 2),
                key: Array("k\(n)".utf8),
                value: Array(String(n).utf8)
            )
        }
        #expect(await producer.sendAll(records).allSatisfy { (try? $0.get()) != nil })

        // The first member reads everything but finishes (stores) only offsets below 300.
        let first = try env.consumer(group: "g", topics: ["payments"])
        let seenFirst = Observed()
        drain(first, into: seenFirst, storeOffsets: false)
        try await withDeadline(.seconds(60), "first member read all") { await seenFirst.wait { $0.count == 1000 } }
        try first.storeOffsets(seenFirst.elements.filter { $0.offset < 300 })
        await first.close()

        let partitions: Set = [
            KafkaTopicPartition(topic: "payments", partition: 0), KafkaTopicPartition(topic: "payments", partition: 1),
        ]
        let second = try env.consumer(group: "g", topics: ["payments"])
        let committed = try await second.committedOffsets(for: partitions)
        #expect(committed == [partitions.first!: 300, partitions.dropFirst().first!: 300])

        let seenSecond = Observed()
        drain(second, into: seenSecond)
        try await withDeadline(.seconds(60), "second member read the rest") {
            await seenSecond.wait { $0.count >= 400 }
        }
        for partition in partitions {
            let offsets = seenSecond.elements.filter { $0.topicPartition == partition }.map(\.offset)
            #expect(offsets == Array(300..<500), "\(partition) resumes at 300 with nothing skipped")
        }
        await second.close()
        await producer.close()
        await env.shutdown()
    }

    @Test(
        "storing offsets never moves a partition backwards, within a call or across calls, and commit() makes them durable"
    )
    func storeNeverMovesBackwards() async throws {
        let env = try KafkaTestEnvironment()
        try await env.cluster.createTopic("t", partitions: 1)
        let producer = try env.producer()
        #expect(
            await producer.sendAll(
                (0..<10).map { KafkaProducerRecord(topic: "t", key: nil, value: Array(String($0).utf8)) }
            )
            .allSatisfy { (try? $0.get()) != nil }
        )
        let consumer = try env.consumer(group: "g", topics: ["t"])
        let seen = Observed()
        drain(consumer, into: seen, storeOffsets: false)
        try await withDeadline(.seconds(60), "read all") { await seen.wait { $0.count == 10 } }
        // Out of order within one call: the newest offset wins.
        try consumer.storeOffsets(seen.elements.reversed())
        // A later call with older messages (a slow worker finishing late) must not rewind it:
        // librdkafka keeps whatever it was given last.
        try consumer.storeOffsets(seen.elements.prefix(3))
        try await consumer.commit()
        let tp = KafkaTopicPartition(topic: "t", partition: 0)
        #expect(try await consumer.committedOffsets(for: [tp]) == [tp: 10])
        await consumer.close()
        await producer.close()
        await env.shutdown()
    }
}
