import CivilTime
import EmbeddedKafka
import Foundation
import Kafka
import LocalPostgres
import Logging
import PayoutEngine
import TestSupport
import Testing

/// `events replay`, the binary against a real store and the embedded broker, read back by a plain
/// consumer as the subscriber who lost its data would read it.
@Suite("payout-worker events replay")
struct ReplayCommandTests {
    enum Kind: String, CaseIterable { case sqlite, postgres }

    static let t0: Int64 = 1_790_000_000_000

    @Test(
        "stored events go out again with their ce_id, in sequence order, by payout or since a time",
        arguments: Kind.allCases
    )
    func replay(kind: Kind) async throws {
        let logger = Logger(label: "replay-tests") { _ in SwiftLogNoOpLogHandler() }
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        try await cluster.createTopic("payouts.status", partitions: 3)
        try await cluster.createTopic("replay.target", partitions: 3)
        let scratch = try StoreCommandTests.ScratchStore(named: "payout-replay")
        defer { scratch.remove() }
        let storeURL = kind == .sqlite ? scratch.url : try await LocalPostgresServer.shared.createDatabase()
        let store = try await PayoutStoreFactory.open(url: storeURL, logger: logger)
        try await store.migrate()

        // Payout a: three events at t0, t0+10, t0+20; payout b: one at t0+30.
        let (a, b) = ("0f7a1c2e-0000-4000-8000-00000000000a", "0f7a1c2e-0000-4000-8000-00000000000b")
        #expect(
            try await store.accept([Self.command(a, at: Self.t0), Self.command(b, at: Self.t0 + 30)], now: Self.t0) == [
                .accepted, .accepted,
            ]
        )
        for (sequence, at) in [(2, Self.t0 + 10), (3, Self.t0 + 20)] {
            _ = try #require(
                try await store.claimDue(owner: "w", limit: 10, leaseMilliseconds: 60_000, now: at).first {
                    $0.referenceID == a
                }
            )
            for other in try await store.claimDue(owner: "w", limit: 10, leaseMilliseconds: 60_000, now: at)
            where other.referenceID != a {
                try await store.releaseLease(referenceID: other.referenceID, owner: "w")
            }
            let event = NewEvent(
                sequence: sequence,
                status: .processing,
                payload: #"{"reference_id":"\#(a)","sequence":\#(sequence)}"#,
                occurredAt: at
            )
            let result = try await store.commit(
                PayoutTransition(
                    referenceID: a,
                    leaseOwner: "w",
                    state: "{}",
                    status: .processing,
                    isFinal: false,
                    reasonCode: nil,
                    events: [event],
                    ledger: .none,
                    nextAttemptAt: at,
                    renewLeaseMilliseconds: nil,
                    incrementAttempts: true
                ),
                now: at
            )
            guard case .committed = result else {
                Issue.record("commit \(sequence): \(result)")
                return
            }
        }
        let environment = ["PAYOUT_STORE_URL": storeURL, "PAYOUT_KAFKA_BROKERS": cluster.bootstrapServers]

        let byPayout = try await ReviewCommandTests.run(["events", "replay", "--reference-id", a], environment)
        #expect(byPayout.status == 0, "\(byPayout.stderr)")
        #expect(byPayout.stdout == ["replayed 3 event(s) to payouts.status"])
        let stored = try await store.events(referenceID: a)
        let published = try await Self.read("payouts.status", count: 3, from: cluster, logger: logger)
        #expect(
            published.map { $0.headers.last(named: "ce_id")?.stringValue } == stored.map(\.eventID),
            "original ids, in sequence order"
        )
        #expect(published.map { $0.value.map { String(decoding: $0, as: UTF8.self) } } == stored.map(\.payload))
        #expect(
            published.allSatisfy {
                $0.key == Array(a.utf8) && $0.headers.last(named: "ce_type")?.stringValue == "payout.status.v1"
            }
        )

        let since = Timestamp.rfc3339(milliseconds: Self.t0 + 15)
        let bySince = try await ReviewCommandTests.run(
            ["events", "replay", "--since", since, "--topic", "replay.target"],
            environment
        )
        #expect(bySince.status == 0, "\(bySince.stderr)")
        #expect(bySince.stdout == ["replayed 2 event(s) to replay.target"])
        let later = try await Self.read("replay.target", count: 2, from: cluster, logger: logger)
        #expect(Set(later.compactMap { $0.headers.last(named: "ce_id")?.stringValue }) == ["\(a):3", "\(b):1"])

        let neither = try await ReviewCommandTests.run(["events", "replay"], environment)
        #expect(
            neither.status == 64 && neither.stderr.contains("give exactly one of --reference-id and --since"),
            "\(neither.stderr)"
        )

        await store.close()
        await cluster.shutdown()
    }

    static func command(_ reference: String, at now: Int64) -> IntakeItem {
        .command(
            NewPayout(
                referenceID: reference,
                fingerprint: "1000|USD|x",
                amountMinor: 1_000,
                currency: "USD",
                state: "{}",
                acceptedEvent: NewEvent(
                    sequence: 1,
                    status: .accepted,
                    payload: #"{"reference_id":"\#(reference)","sequence":1}"#,
                    occurredAt: now
                )
            )
        )
    }

    /// The first `count` records of `topic`, read by a consumer of its own group from the start.
    static func read(
        _ topic: String,
        count: Int,
        from cluster: EmbeddedKafkaCluster,
        logger: Logger
    ) async throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: cluster.bootstrapServers,
                groupID: "reader-\(UUID())",
                topics: [topic]
            ),
            logger: logger
        )
        let messages = try await withDeadline(.seconds(60), "\(count) records on \(topic)") {
            var messages: [KafkaMessage] = []
            while messages.count < count {
                messages += try await consumer.nextBatch(maxCount: count - messages.count)
            }
            return messages
        }
        await consumer.close()
        return messages
    }
}
