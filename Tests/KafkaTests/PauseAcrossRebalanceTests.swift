import EmbeddedKafka
import Kafka
import Testing

@Suite("Pauses across rebalances")
struct PauseAcrossRebalanceTests {
    /// The poll thread remembers which partitions it paused in librdkafka and pauses only the
    /// difference. A partition revoked and assigned again comes back resumed; a poll thread that
    /// still counted it as paused would never apply the application's renewed pause, and the
    /// partition would be fetched.
    ///
    /// To get a revoke and a re-assignment with no pause reconciliation between them, the member
    /// uses the eager protocol (every rebalance revokes everything and hands it back) and a long
    /// poll timeout: with nothing produced during the rebalance, one `rd_kafka_consumer_poll`
    /// serves both callbacks.
    @Test("a partition paused again when an eager rebalance hands it back delivers nothing until resumed")
    func pauseRenewedAfterReassignmentHolds() async throws {
        let env = try KafkaTestEnvironment()
        try await env.cluster.createTopic("t", partitions: 2)
        try await env.cluster.createTopic("other", partitions: 1)
        let p0 = KafkaTopicPartition(topic: "t", partition: 0)
        let p1 = KafkaTopicPartition(topic: "t", partition: 1)

        // The application keeps p0 paused. A revoke ends a pause, so it pauses p0 on every assignment.
        let events = Recorder<KafkaRebalanceEvent>()
        let box = ConsumerBox()
        let a = try env.consumer(
            group: "g",
            topics: ["t"],
            rebalanceHandler: { event in
                if case .assigned(let partitions) = event, partitions.contains(p0) { box.value?.pause([p0]) }
                events.append(event)
            }
        ) {
            $0.assignmentStrategy = "range"
            $0.pollTimeout = .seconds(60)
        }
        box.value = a
        let seen = Observed()
        drain(a, into: seen)
        try await withDeadline(.seconds(60), "A assigned") { await events.waitForAssignment(count: 2) }

        // B joins the group for another topic: A's partitions are all revoked and all given back.
        let eventsB = Recorder<KafkaRebalanceEvent>()
        let b = try env.consumer(group: "g", topics: ["other"], rebalanceHandler: eventsB.handler) {
            $0.assignmentStrategy = "range"
        }
        try await withDeadline(.seconds(60), "rebalance done") {
            await eventsB.waitForAssignment(count: 1)
            await events.wait { events in
                events.count(where: { if case .assigned = $0 { true } else { false } }) >= 2
                    && Recorder.assignment(after: events) == [p0, p1]
            }
        }
        #expect(
            events.elements.contains {
                if case .revoked(let partitions) = $0 { partitions == [p0, p1] } else { false }
            }
        )

        // p0's records first, then p1's: a fetch that brings p1's records would bring p0's too,
        // were p0 fetched. A second round on p1 flushes out anything such a fetch brought.
        let producer = try env.producer()
        let toP0 = (0..<50).map {
            KafkaProducerRecord(topic: "t", partition: 0, key: nil, value: Array(String($0).utf8))
        }
        #expect(await producer.sendAll(toP0).allSatisfy { (try? $0.get()) != nil })
        for round in 1...2 {
            let toP1 = (0..<50).map {
                KafkaProducerRecord(topic: "t", partition: 1, key: nil, value: Array(String($0).utf8))
            }
            #expect(await producer.sendAll(toP1).allSatisfy { (try? $0.get()) != nil })
            try await withDeadline(.seconds(60), "p1 round \(round) read") {
                await seen.wait { $0.count(where: { $0.topicPartition == p1 }) == 50 * round }
            }
        }
        #expect(
            seen.elements.allSatisfy { $0.topicPartition == p1 },
            "nothing from p0, which the application keeps paused"
        )

        a.resume([p0])
        try await withDeadline(.seconds(60), "p0 read after resume") {
            await seen.wait { $0.count(where: { $0.topicPartition == p0 }) == 50 }
        }
        #expect(seen.elements.filter { $0.topicPartition == p0 }.map(\.offset) == Array(0..<50))
        await a.close()
        await b.close()
        await producer.close()
        await env.shutdown()
    }
}
