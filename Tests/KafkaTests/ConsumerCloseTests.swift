import EmbeddedKafka
import Kafka
import Testing

@Suite("Consumer close")
struct ConsumerCloseTests {
    /// librdkafka's synchronous commit waits, with no timeout, for a group coordinator, and
    /// `rd_kafka_consumer_close` waits for the group to be left. Both ran on the poll thread during
    /// `close()`, so with the broker gone `close()` never returned, and a worker stopped in that
    /// state overran its shutdown bound (found in chaos runs whose broker and store had both gone;
    /// the stack showed the poll thread in `rd_kafka_commit` under `commitStored`).
    @Test("close() returns within closeTimeout when the broker has gone, with offsets stored and not yet committed")
    func closeWithBrokerGone() async throws {
        let env = try KafkaTestEnvironment()
        try await env.cluster.createTopic("t", partitions: 2)
        let producer = try env.producer()
        #expect(
            await producer.sendAll(numberedRecords(topic: "t", count: 20, keys: 4)).allSatisfy {
                (try? $0.get()) != nil
            }
        )
        await producer.close()

        let events = Recorder<KafkaRebalanceEvent>()
        let consumer = try env.consumer(group: "g", topics: ["t"], rebalanceHandler: events.handler) {
            $0.commitInterval = .seconds(3600)  // nothing committed behind the test's back
            $0.closeTimeout = .seconds(2)
            $0.properties["session.timeout.ms"] = "45000"  // librdkafka's default, as the worker runs
        }
        let seen = Observed()
        drain(consumer, into: seen)  // stores each batch's offsets, so close has something to commit
        try await withDeadline(.seconds(60), "all records read") { await seen.wait { $0.count == 20 } }

        try await env.cluster.setBrokerDown(1)
        // Generous: the bound is closeTimeout (2 s); without it close() waits for ever.
        try await withDeadline(.seconds(30), "close with the broker gone") { await consumer.close() }
        #expect(
            events.elements.contains { if case .revoked = $0 { true } else { false } },
            "the final revoke still ran"
        )
        // The member never left its group: destroying its handle would leave librdkafka's main
        // thread spinning for as long as the coordinator stays gone.
        let busy = try await busyLibrdkafkaMainThreads(over: .seconds(1))
        #expect(busy.isEmpty, "librdkafka main threads busy after the close: \(busy)")
        await env.shutdown()
    }
}
