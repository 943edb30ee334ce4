import PayoutEngine
import TestSupport
import Testing

extension PayoutStoreConformance {
    @Test(arguments: StoreKind.allCases)
    func outboxReleasesOneReferenceInOrder(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            _ = try await store.accept([command("o-x"), command("o-y")], now: t0)
            let x = try #require(try await claimOnly("o-x", store, owner: "w"))
            _ = try await store.commit(transition(x, owner: "w", eventCount: 2), now: t0)

            let first = try await store.claimOutbox(owner: "relay-1", limit: 10, leaseMilliseconds: 1_000, now: t0)
            #expect(first.map(\.event.eventID) == ["o-x:1", "o-y:1"])
            #expect(first.map(\.outboxID) == first.map(\.outboxID).sorted())
            #expect(
                first.first?.event
                    == StoredEvent(
                        referenceID: "o-x",
                        sequence: 1,
                        status: .accepted,
                        payload: #"{"id":"o-x:1"}"#,
                        occurredAt: t0
                    )
            )
            // o-x:2 waits for o-x:1 to be marked sent, whoever asks.
            #expect(try await store.claimOutbox(owner: "relay-2", limit: 10, leaseMilliseconds: 1_000, now: t0).isEmpty)
            try await store.markSent([first[0].outboxID], now: t0)
            let second = try await store.claimOutbox(owner: "relay-2", limit: 10, leaseMilliseconds: 1_000, now: t0)
            #expect(second.map(\.event.eventID) == ["o-x:2"])
            // An expired claim is taken over; the entry is published again (at least once).
            #expect(
                try await store.claimOutbox(owner: "relay-1", limit: 10, leaseMilliseconds: 1_000, now: t0 + 999)
                    .isEmpty
            )
            let retaken = try await store.claimOutbox(
                owner: "relay-1",
                limit: 10,
                leaseMilliseconds: 1_000,
                now: t0 + 1_000
            )
            #expect(retaken.map(\.event.eventID) == ["o-y:1", "o-x:2"])
            try await store.markSent(retaken.map(\.outboxID), now: t0 + 1_000)
            #expect(
                try await store.claimOutbox(owner: "relay-2", limit: 10, leaseMilliseconds: 1_000, now: t0 + 1_000).map(
                    \.event.eventID
                ) == ["o-x:3"]
            )
        }
    }

    @Test(arguments: StoreKind.allCases)
    func markSentAndBacklog(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            _ = try await store.accept((1...3).map { command("ms-\($0)") }, now: t0)
            #expect(try await store.outboxBacklog() == 3)
            let claimed = try await store.claimOutbox(owner: "r", limit: 2, leaseMilliseconds: minute, now: t0)
            #expect(claimed.count == 2)
            #expect(try await store.outboxBacklog() == 3)
            try await store.markSent(claimed.map(\.outboxID), now: t0)
            #expect(try await store.outboxBacklog() == 1)
            // Idempotent, and unknown ids are ignored.
            try await store.markSent(claimed.map(\.outboxID) + [999_999], now: t0 + 1)
            try await store.markSent([], now: t0 + 1)
            #expect(try await store.outboxBacklog() == 1)
            #expect(try await drainOutbox(store).map(\.event.eventID) == ["ms-3:1"])
            #expect(try await store.outboxBacklog() == 0)
        }
    }

    /// Two relays (two stores: two pools, as two processes) drain 30 references × 4 events
    /// concurrently: every entry is published exactly once and each reference's events in order.
    @Test(arguments: StoreKind.allCases)
    func concurrentRelaysKeepPerReferenceOrder(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            let refs = (1...30).map { "or-\($0)" }
            _ = try await store.accept(refs.map { command($0) }, now: t0)
            for payout in try await store.claimDue(owner: "w", limit: 100, leaseMilliseconds: minute, now: t0) {
                _ = try await store.commit(transition(payout, owner: "w", eventCount: 3), now: t0)
            }
            let other = try await fixture.another()
            let published = Locked<[StoredEvent]>([])
            try await withDeadline(.seconds(120), "relays drain the outbox") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, relay) in [store, other].enumerated() {
                        group.addTask {
                            while try await relay.outboxBacklog() > 0 {
                                let batch = try await relay.claimOutbox(
                                    owner: "relay-\(index)",
                                    limit: 7,
                                    leaseMilliseconds: 10 * minute,
                                    now: t0
                                )
                                // Recorded before markSent: the next event of a reference can only be
                                // claimed after this, so the log order is the publication order.
                                published.withLock { $0 += batch.map(\.event) }
                                try await relay.markSent(batch.map(\.outboxID), now: t0)
                                if batch.isEmpty { await Task.yield() }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            await other.close()
            let log = published.value
            #expect(log.count == refs.count * 4)
            for ref in refs {
                #expect(log.filter { $0.referenceID == ref }.map(\.sequence) == [1, 2, 3, 4], "\(ref)")
            }
        }
    }
}
