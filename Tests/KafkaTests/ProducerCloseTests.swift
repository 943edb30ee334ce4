import Kafka
import Testing

@Suite("Producer close")
struct ProducerCloseTests {
    /// Before the fix, close flushed and purged first and only then stopped admitting sends: a
    /// send admitted in between stayed queued when the handle was destroyed, so it never returned
    /// (and its retained delivery callback leaked). The senders below re-send as soon as a purge
    /// fails their record, which lands sends in exactly that window; without the fix, one round
    /// hung in about two runs out of three, so the test runs several.
    @Test("sends racing close all complete, delivered or with a typed error, and a send after close fails with .closed")
    func sendsRacingCloseAllComplete() async throws {
        let env = try KafkaTestEnvironment()
        try await env.cluster.createTopic("t", partitions: 2)
        for _ in 1...5 {
            try await raceSendsAgainstClose(env, senders: 200)
        }
        await env.shutdown()
    }

    private func raceSendsAgainstClose(_ env: KafkaTestEnvironment, senders: Int) async throws {
        try await env.cluster.setRoundTripTime(.zero, broker: 1)
        let producer = try env.producer { $0.closeTimeout = .milliseconds(200) }
        #expect(await producer.sendAll([KafkaProducerRecord(topic: "t", key: nil, value: [0])]).allSatisfy { (try? $0.get()) != nil })
        // The broker now holds every acknowledgement back, so close finds records outstanding:
        // its flush runs out and it purges them, failing their sends.
        try await env.cluster.setRoundTripTime(.seconds(60), broker: 1)

        let outcomes = Recorder<String>()
        let started = Recorder<Int>(), finished = Recorder<Int>()
        Task {
            await withTaskGroup(of: Void.self) { group in
                for sender in 0..<senders {
                    group.addTask {
                        started.append(sender)
                        defer { finished.append(sender) }
                        while true {
                            do throws(KafkaError) {
                                try await producer.send(KafkaProducerRecord(topic: "t", key: nil, value: [1]))
                                outcomes.append("delivered")
                            } catch .closed {
                                outcomes.append("closed")
                                return
                            } catch .librdkafka(let code, _) where code == .purgeQueue || code.name == "_PURGE_INFLIGHT" {
                                outcomes.append("purged")
                            } catch {
                                outcomes.append("unexpected: \(error)")
                                return
                            }
                        }
                    }
                }
            }
        }
        try await withDeadline(.seconds(60), "every sender started") { await started.wait { $0.count == senders } }
        await producer.close()
        // Every send must come back; a hung one fails this deadline (a recorder's wait, unlike
        // awaiting the sending task, ends when the deadline cancels it).
        try await withDeadline(.seconds(60), "every send completed") { await finished.wait { $0.count == senders } }

        #expect(outcomes.elements.filter { $0 == "closed" }.count == senders, "each sender ended on .closed")
        #expect(outcomes.elements.allSatisfy { ["delivered", "purged", "closed"].contains($0) }, "\(Set(outcomes.elements))")
        await #expect(throws: KafkaError.closed) {
            try await producer.send(KafkaProducerRecord(topic: "t", key: nil, value: [2]))
        }
    }
}
