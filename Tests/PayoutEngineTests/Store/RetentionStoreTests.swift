import PayoutEngine
import Testing

/// Retention on both stores: what goes, what must stay.
@Suite("Store retention")
struct RetentionStoreTests {
    @Test(
        "sent outbox rows go, unsent ones stay; old events go except each payout's latest and any still to publish",
        arguments: StoreKind.allCases
    )
    func outboxAndEvents(kind: StoreKind) async throws {
        try await withStore(kind) { (fixture: StoreFixture) async throws in
            let store = fixture.store
            #expect(try await store.accept([command("k-1"), rejection("k-3")], now: t0) == [.accepted, .rejected])
            let claimed = try #require(try await claimOnly("k-1", store, owner: "w"))
            _ = try await store.commit(transition(claimed, owner: "w", status: .processing, eventCount: 2), now: t0)
            #expect(try await drainOutbox(store).count == 4)
            // k-2's two events are not published yet: the older is not its latest, but must stay.
            #expect(try await store.accept([command("k-2")], now: t0) == [.accepted])
            let second = try #require(try await claimOnly("k-2", store, owner: "w"))
            _ = try await store.commit(transition(second, owner: "w", status: .processing), now: t0)
            #expect(try await store.outboxBacklog() == 2)

            #expect(
                try await store.prune(.sentOutbox, before: t0 - 1, limit: 100, dryRun: false) == 0,
                "sent after the cut-off"
            )
            #expect(try await store.prune(.sentOutbox, before: t0, limit: 100, dryRun: true) == 4)
            #expect(try await store.prune(.sentOutbox, before: t0, limit: 3, dryRun: false) == 3, "one batch at a time")
            #expect(try await store.prune(.sentOutbox, before: t0, limit: 3, dryRun: false) == 1)
            #expect(try await store.outboxBacklog() == 2, "the unsent rows stay")

            #expect(try await store.prune(.events, before: t0 + 1, limit: 100, dryRun: true) == 2)
            #expect(try await store.prune(.events, before: t0 + 1, limit: 100, dryRun: false) == 2)
            #expect(try await store.events(referenceID: "k-1").map(\.sequence) == [3], "the latest stays")
            #expect(try await store.events(referenceID: "k-2").map(\.sequence) == [1, 2], "an unpublished event stays")
            #expect(
                try await store.events(referenceID: "k-3").map(\.sequence) == [0],
                "a rejection keeps its one event"
            )
            #expect(try await drainOutbox(store).map(\.event.eventID) == ["k-2:1", "k-2:2"], "and is still published")
            let rows = try await store.tableRowCounts()
            #expect(rows["payouts"] == 2 && rows["payout_events"] == 4 && rows["outbox"] == 2)
        }
    }

    @Test(
        "the places of answered duplicates go after the events' retention; payouts stay duplicates",
        arguments: StoreKind.allCases
    )
    func intakeSources(kind: StoreKind) async throws {
        try await withStore(kind) { (fixture: StoreFixture) async throws in
            let store = fixture.store
            #expect(try await store.accept([command("s-1", readAt: place(0, 1))], now: t0) == [.accepted])
            #expect(
                try await store.accept([command("s-1", readAt: place(0, 2))], now: t0 + 10) == [
                    .duplicate(latestStatus: .accepted)
                ]
            )
            #expect(try await store.prune(.intakeSources, before: t0 + 10, limit: 100, dryRun: false) == 0)
            #expect(try await store.prune(.intakeSources, before: t0 + 11, limit: 100, dryRun: false) == 1)
            #expect(
                try await store.accept([command("s-1", readAt: place(0, 1))], now: t0 + 20) == [.redelivered],
                "the first place is on the payout row"
            )
            #expect(
                try await store.accept([command("s-1", amount: 5, readAt: place(0, 3))], now: t0 + 20) == [.conflict]
            )
        }
    }
}
