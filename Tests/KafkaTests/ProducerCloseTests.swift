import EmbeddedKafka
import Kafka
import Testing

@Suite("Producer close and cancellation")
struct ProducerCloseTests {
    /// Close stops admitting sends before it flushes and purges: a send admitted in between would
    /// stay queued when the handle is destroyed, so it would never return (and its retained
    /// delivery callback would leak). The senders below re-send as soon as a purge fails their
    /// record, which lands sends in exactly that window; a close in the other order hangs one
    /// round in about two runs out of three, so the test runs several.
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
        #expect(
            await producer.sendAll([KafkaProducerRecord(topic: "t", key: nil, value: [0])]).allSatisfy {
                (try? $0.get()) != nil
            }
        )
        // The broker now holds every acknowledgement back, so close finds records outstanding:
        // its flush runs out and it purges them, failing their sends.
        try await env.cluster.setRoundTripTime(.seconds(60), broker: 1)

        let outcomes = Recorder<String>()
        let started = Recorder<Int>()
        let finished = Recorder<Int>()
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
                            } catch .librdkafka(let code, _) where code == .purgeQueue || code == .purgeInflight {
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
        #expect(
            outcomes.elements.allSatisfy { ["delivered", "purged", "closed"].contains($0) },
            "\(Set(outcomes.elements))"
        )
        await #expect(throws: KafkaError.closed) {
            try await producer.send(KafkaProducerRecord(topic: "t", key: nil, value: [2]))
        }
    }

    /// A cancelled task waiting for room in a full local queue must not spin without sleeping
    /// (`Task.sleep` returns at once when cancelled) until the queue drains, and then send the
    /// record anyway.
    @Test("a cancelled send that finds the local queue full fails at once instead of spinning until there is room")
    func cancelledSendOnFullQueueFails() async throws {
        let env = try KafkaTestEnvironment()
        try await env.cluster.setBrokerDown(1)  // nothing leaves the local queue
        let logs = LogCapture()  // keeps the expected connection failures out of the test output
        let producer = try env.producer(logger: logs.logger("producer")) {
            $0.properties["queue.buffering.max.messages"] = "4"
            // The cancelled sendAll returns at once; this only keeps the final close short.
            $0.deliveryTimeout = .seconds(2)
        }
        let records = (0..<5).map { KafkaProducerRecord(topic: "t", key: nil, value: [UInt8($0)]) }
        let results = await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await producer.sendAll(records)
        }.value

        for result in results.prefix(4) {
            #expect(throws: KafkaError.self) { try result.get() }
        }
        #expect {
            try results[4].get()
        } throws: { error in
            guard case KafkaError.cancelled = error else { return false }
            return true
        }
        await producer.close()
        await env.shutdown()
    }
}
