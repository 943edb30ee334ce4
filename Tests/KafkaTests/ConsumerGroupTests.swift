import EmbeddedKafka
import Kafka
import Testing

@Suite("Consumer groups over the embedded broker")
struct ConsumerGroupTests {
    @Test("a group of two sees every keyed message exactly once, in order per partition")
    func groupOfTwoSeesEverything() async throws {
        let env = try KafkaTestEnvironment()
        let group = try await env.twoMembers(topic: "orders", partitions: 6)
        let (a, b) = (group.a, group.b)
        let seenA = Observed()
        let seenB = Observed()
        let seen = Observed()
        drain(a, into: seenA, seen)
        drain(b, into: seenB, seen)

        let total = 5000
        let producer = try env.producer()
        let reports = await producer.sendAll(numberedRecords(topic: "orders", count: total, keys: 100))
        #expect(reports.allSatisfy { (try? $0.get()) != nil })

        try await withDeadline(.seconds(60), "all messages consumed") {
            await seen.wait { $0.count >= total }
        }
        let all = seenA.elements + seenB.elements
        #expect(all.count == total)
        #expect(Set(all.map(\.number)) == Set(0..<total))
        #expect(!seenA.elements.isEmpty && !seenB.elements.isEmpty, "both members did work")
        // No rebalance runs while reading, so each partition is read by one member, and grouping
        // keeps that member's arrival order. Per partition, the offsets must arrive contiguous
        // from 0 and ascending (nothing skipped, repeated or reordered, across keys too), and the
        // values ascend, since one sendAll wrote them in order. Order per key follows.
        for (partition, messages) in Dictionary(grouping: all, by: \.topicPartition) {
            #expect(messages.map(\.offset) == Array(0..<Int64(messages.count)), "offsets of \(partition)")
            #expect(messages.map(\.number) == messages.map(\.number).sorted(), "values of \(partition)")
        }
        await a.close()
        await b.close()
        await producer.close()
        await env.shutdown()
    }

    @Test("a member leaving hands its partitions over and no message is lost")
    func memberLeavingLosesNothing() async throws {
        let env = try KafkaTestEnvironment()
        let group = try await env.twoMembers(topic: "orders", partitions: 4)
        let (a, b, eventsA, eventsB) = (group.a, group.b, group.eventsA, group.eventsB)
        let seenB = Observed()
        let seen = Observed()
        drain(a, into: seen)
        drain(b, into: seenB, seen)
        let producer = try env.producer()
        let first = await producer.sendAll(numberedRecords(topic: "orders", count: 2000, keys: 40))
        #expect(first.allSatisfy { (try? $0.get()) != nil })
        try await withDeadline(.seconds(60), "B consumed some") { await seenB.wait { !$0.isEmpty } }

        // B leaves while records are still being written: A must take over from B's committed offsets.
        async let second = producer.sendAll(numberedRecords(topic: "orders", count: 2000, keys: 40, from: 2000))
        await b.close()
        #expect(eventsB.elements.contains { if case .revoked(let p) = $0 { p.count == 2 } else { false } })
        try await withDeadline(.seconds(60), "A owns every partition") { await eventsA.waitForAssignment(count: 4) }
        #expect((await second).allSatisfy { (try? $0.get()) != nil })

        try await withDeadline(.seconds(60), "every message seen") {
            await seen.wait { Set($0.map(\.number)).count == 4000 }
        }
        #expect(Set(seen.elements.map(\.number)) == Set(0..<4000))
        await a.close()
        await producer.close()
        await env.shutdown()
    }

    @Test("the revoke handler runs before unassign, so stored work is committed with no duplicates")
    func revokeBeforeUnassign() async throws {
        let env = try KafkaTestEnvironment()
        try await env.cluster.createTopic("orders", partitions: 4)
        let seenA = Observed()
        let seen = Observed()
        let consumerA = ConsumerBox()
        let stillAssignedDuringRevoke = Recorder<Bool>()
        let logsA = LogCapture()
        // A stores nothing while it reads; only when told of a revoke does it "finish" its work and
        // store the offsets of everything it has seen, which must then be committed before B starts.
        let a = try env.consumer(
            group: "g",
            topics: ["orders"],
            rebalanceHandler: { event in
                guard case .revoked(let partitions) = event, let consumer = consumerA.value else { return }
                stillAssignedDuringRevoke.append(partitions.isSubset(of: consumer.assignment))
                try? consumer.storeOffsets(seenA.elements.filter { partitions.contains($0.topicPartition) })
            },
            logger: logsA.logger("consumer-a")
        )
        consumerA.value = a
        drain(a, into: seenA, seen, storeOffsets: false)

        let producer = try env.producer()
        let reports = await producer.sendAll(numberedRecords(topic: "orders", count: 2000, keys: 40))
        #expect(reports.allSatisfy { (try? $0.get()) != nil })
        try await withDeadline(.seconds(60), "A read everything") { await seenA.wait { $0.count == 2000 } }

        let eventsB = Recorder<KafkaRebalanceEvent>()
        let b = try env.consumer(group: "g", topics: ["orders"], rebalanceHandler: eventsB.handler)
        let seenB = Observed()
        drain(b, into: seenB, seen)
        try await withDeadline(.seconds(60), "B assigned") {
            await eventsB.wait { !Recorder.assignment(after: $0).isEmpty }
        }
        let more = await producer.sendAll(numberedRecords(topic: "orders", count: 400, keys: 40, from: 2000))
        #expect(more.allSatisfy { (try? $0.get()) != nil })
        try await withDeadline(.seconds(60), "all new records seen") {
            await seen.wait { Set($0.map(\.number)).count == 2400 }
        }
        #expect(stillAssignedDuringRevoke.elements == [true])
        // Nothing A finished before the hand-over was read again by B. Kafka accepts the revoke
        // handler's commit from the current generation during a rebalance; librdkafka 2.0.2's mock
        // refuses any commit while its (eager) group is rebalancing, which a loaded machine can
        // make overlap. Only then is a re-read the mock's doing, and recorded as a known issue.
        let firstRound = Set(0..<2000)
        let reread = seenB.elements.filter { firstRound.contains($0.number) }
        // Only A's own report of exactly that refusal counts, not any line that mentions a rebalance.
        if logsA.all.contains(where: { $0.contains("commit on revoke failed") && $0.contains("rebalance in progress") })
        {
            withKnownIssue("the mock broker refused the revoke commit (rebalance in progress)", isIntermittent: true) {
                #expect(reread.isEmpty)
            }
        } else {
            #expect(reread.isEmpty)
        }
        await a.close()
        await b.close()
        await producer.close()
        await env.shutdown()
    }

    @Test("a member closing while another runs commits its final offsets: the other re-reads nothing")
    func closeCommitsFinalOffsets() async throws {
        let env = try KafkaTestEnvironment()
        let logsA = LogCapture()
        let group = try await env.twoMembers(topic: "orders", partitions: 4, loggerA: logsA.logger("consumer-a"))
        let (a, b, eventsA, eventsB) = (group.a, group.b, group.eventsA, group.eventsB)
        let seenA = Observed()
        let seenB = Observed()
        let seen = Observed()
        drain(a, into: seenA, seen)
        drain(b, into: seenB, seen)
        let producer = try env.producer()
        #expect(
            await producer.sendAll(numberedRecords(topic: "orders", count: 1000, keys: 40)).allSatisfy {
                (try? $0.get()) != nil
            }
        )
        try await withDeadline(.seconds(60), "all read") { await seen.wait { $0.count == 1000 } }

        await a.close()
        #expect(eventsA.elements.last.map { if case .revoked(let p) = $0 { p.count == 2 } else { false } } == true)
        try await withDeadline(.seconds(60), "B owns everything") { await eventsB.waitForAssignment(count: 4) }
        #expect(
            await producer.sendAll(numberedRecords(topic: "orders", count: 200, keys: 40, from: 1000)).allSatisfy {
                (try? $0.get()) != nil
            }
        )
        try await withDeadline(.seconds(60), "new records read") {
            await seen.wait { Set($0.map(\.number)).count == 1200 }
        }
        // As in the revoke test: librdkafka 2.0.2's mock refuses any commit while its group is
        // rebalancing, which B's join can overlap on a loaded machine. Only A's own report of
        // exactly that refusal excuses a re-read.
        if logsA.all.contains(where: {
            $0.contains("commit on") && $0.contains("failed") && $0.contains("rebalance in progress")
        }) {
            withKnownIssue("the mock broker refused A's final commit (rebalance in progress)", isIntermittent: true) {
                #expect(seen.elements.count == 1200, "nothing A finished was read again by B")
            }
        } else {
            #expect(seen.elements.count == 1200, "nothing A finished was read again by B")
        }
        await b.close()
        await producer.close()
        await env.shutdown()
    }
}
