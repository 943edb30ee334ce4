import EmbeddedKafka
import Kafka
import Testing

@Suite("Producer cancellation")
struct ProducerCancellationTests {
    /// With the broker gone a delivery report takes up to `message.timeout.ms`; the outbox relay
    /// of a stopping worker sat in `sendAll` past the drain's cancellation, overrunning the
    /// shutdown bound. Cancelling the caller now ends the wait.
    @Test("cancelling sendAll ends the wait: unreported records fail with .cancelled")
    func cancelledSendAllReturns() async throws {
        let env = try KafkaTestEnvironment()
        try await env.cluster.createTopic("t", partitions: 2)
        // Long enough to tell a cancelled wait from a timed-out delivery; short enough that the
        // test fails (rather than hangs) if the wait ignores cancellation: withDeadline waits for its body.
        let producer = try env.producer { $0.deliveryTimeout = .seconds(60) }
        #expect(
            await producer.sendAll([KafkaProducerRecord(topic: "t", key: nil, value: [0])]).allSatisfy {
                (try? $0.get()) != nil
            }
        )
        try await env.cluster.setBrokerDown(1)

        let sending = Task { await producer.sendAll(numberedRecords(topic: "t", count: 50, keys: 5)) }
        sending.cancel()
        // Generous: without the cancellation handler this waits out the 60 s delivery timeout.
        let results = try await withDeadline(.seconds(30), "sendAll after cancellation") { await sending.value }
        #expect(results.count == 50)
        #expect(
            results.allSatisfy { result in
                if case .failure(.cancelled) = result { true } else { false }
            },
            "no record can have been acknowledged by a broker that is down"
        )

        try await env.cluster.setBrokerUp(1)
        await producer.close()
        await env.shutdown()
    }
}
