import EmbeddedKafka
import Kafka
import Testing

@Suite("Flow control")
struct FlowControlTests {
    @Test(
        "a small buffer holds fetching back and resumes without losing or reordering messages",
        arguments: [Duration.zero, .seconds(1)]
    )
    func backpressure(grace: Duration) async throws {
        let env = try KafkaTestEnvironment()
        try await env.cluster.createTopic("t", partitions: 3)
        let producer = try env.producer()
        #expect(
            await producer.sendAll(numberedRecords(topic: "t", count: 900, keys: 30)).allSatisfy {
                (try? $0.get()) != nil
            }
        )

        // With no grace, a full buffer pauses every partition at once: each pause drops librdkafka's
        // prefetched data and each resume fetches again, so a small buffer against 900 records
        // exercises some 30 pause/resume cycles. With a grace, the poll thread waits for room
        // instead and librdkafka keeps its prefetch.
        let capacity = 60
        let events = Recorder<KafkaRebalanceEvent>()
        let consumer = try env.consumer(group: "g", topics: ["t"], rebalanceHandler: events.handler) {
            $0.bufferCapacity = capacity
            $0.backpressureGrace = grace
        }
        try await withDeadline(.seconds(60), "assigned") { await events.waitForAssignment(count: 3) }
        try await eventually("buffer filled") { consumer.bufferedCount >= capacity }

        var seen: [KafkaMessage] = []
        var peak = 0
        while seen.count < 900 {
            let batch = try await withDeadline(.seconds(30), "next batch") { try await consumer.nextBatch(maxCount: 7) }
            peak = max(peak, consumer.bufferedCount + batch.count)
            seen += batch
            try consumer.storeOffsets(batch)
        }
        // One poll batch may land after the buffer reports full; it never grows towards the backlog.
        #expect(peak <= capacity + capacity / 4 + 7, "buffer stayed bounded (peak \(peak))")
        #expect(Set(seen.map(\.number)) == Set(0..<900))
        #expect(seen.count == 900)
        for (key, messages) in Dictionary(grouping: seen, by: \.keyString) {
            #expect(messages.map(\.number) == messages.map(\.number).sorted(), "order of \(key)")
        }
        await consumer.close()
        await producer.close()
        await env.shutdown()
    }

    @Test("the buffer is bounded in bytes too")
    func byteBound() async throws {
        let env = try KafkaTestEnvironment()
        try await env.cluster.createTopic("t", partitions: 2)
        let producer = try env.producer()
        let value = [UInt8](repeating: 0x61, count: 1_000)
        let records = (0..<300).map {
            KafkaProducerRecord(topic: "t", partition: Int32($0 % 2), key: nil, value: value)
        }
        #expect(await producer.sendAll(records).allSatisfy { (try? $0.get()) != nil })

        let byteCapacity = 20_000
        let events = Recorder<KafkaRebalanceEvent>()
        let consumer = try env.consumer(group: "g", topics: ["t"], rebalanceHandler: events.handler) {
            $0.bufferCapacityBytes = byteCapacity
        }
        try await withDeadline(.seconds(60), "assigned") { await events.waitForAssignment(count: 2) }
        try await eventually("buffer filled") { consumer.bufferedBytes >= byteCapacity }

        var seen = 0
        var peak = 0
        while seen < 300 {
            let batch = try await withDeadline(.seconds(30), "next batch") { try await consumer.nextBatch(maxCount: 3) }
            peak = max(peak, consumer.bufferedBytes + batch.count * value.count)
            seen += batch.count
            try consumer.storeOffsets(batch)
        }
        // One poll batch (a quarter of the bound, plus the message that crossed it) may land after
        // the buffer reports full.
        #expect(peak <= byteCapacity + byteCapacity / 4 + 2 * value.count, "buffer stayed bounded (peak \(peak) bytes)")
        #expect(seen == 300)
        await consumer.close()
        await producer.close()
        await env.shutdown()
    }

    @Test("a paused partition delivers nothing until resumed")
    func pauseAndResume() async throws {
        let env = try KafkaTestEnvironment()
        try await env.cluster.createTopic("t", partitions: 2)
        let events = Recorder<KafkaRebalanceEvent>()
        let consumer = try env.consumer(group: "g", topics: ["t"], rebalanceHandler: events.handler)
        try await withDeadline(.seconds(60), "assigned") { await events.waitForAssignment(count: 2) }
        let p0 = KafkaTopicPartition(topic: "t", partition: 0)
        let p1 = KafkaTopicPartition(topic: "t", partition: 1)
        consumer.pause([p0])
        let seen = Observed()
        drain(consumer, into: seen)

        let producer = try env.producer()
        let records = (0..<200).map {
            KafkaProducerRecord(topic: "t", partition: Int32($0 % 2), key: nil, value: Array(String($0).utf8))
        }
        #expect(await producer.sendAll(records).allSatisfy { (try? $0.get()) != nil })
        try await withDeadline(.seconds(60), "partition 1 read") {
            await seen.wait { $0.filter { $0.topicPartition == p1 }.count == 100 }
        }
        #expect(seen.elements.allSatisfy { $0.topicPartition == p1 }, "nothing from the paused partition")

        consumer.resume([p0])
        try await withDeadline(.seconds(60), "partition 0 read after resume") { await seen.wait { $0.count == 200 } }
        #expect(seen.elements.filter { $0.topicPartition == p0 }.map(\.offset) == Array(0..<100))
        await consumer.close()
        await producer.close()
        await env.shutdown()
    }

    @Test("consumer lag per partition is read from librdkafka statistics")
    func lagFromStatistics() async throws {
        let env = try KafkaTestEnvironment()
        try await env.cluster.createTopic("t", partitions: 1)
        let producer = try env.producer()
        #expect(
            await producer.sendAll(
                (0..<100).map { KafkaProducerRecord(topic: "t", key: nil, value: Array(String($0).utf8)) }
            )
            .allSatisfy { (try? $0.get()) != nil }
        )
        let consumer = try env.consumer(group: "g", topics: ["t"])
        let seen = Observed()
        drain(consumer, into: seen, storeOffsets: false)
        try await withDeadline(.seconds(60), "read all") { await seen.wait { $0.count == 100 } }
        try consumer.storeOffsets(seen.elements.prefix(40))
        try await consumer.commit()
        let tp = KafkaTopicPartition(topic: "t", partition: 0)
        try await eventually("lag reported") { consumer.lag[tp] == 60 }
        await consumer.close()
        await producer.close()
        await env.shutdown()
    }
}
