import PayoutEngine
import Testing

/// A record read again at the place it was read before is a redelivery, answered by nothing; the
/// same command at another place is an upstream duplicate, answered by its latest event again.
@Suite("Redeliveries are not duplicates")
struct RedeliveryTests {
    @Test(
        "a command read again at its place enqueues nothing; the same command at another place re-emits once",
        arguments: StoreKind.allCases
    )
    func commandRedeliveredThenDuplicated(kind: StoreKind) async throws {
        try await withStore(kind) { (fixture: StoreFixture) async throws in
            let store = fixture.store
            #expect(try await store.accept([command("r-1", readAt: place(0, 5))], now: t0) == [.accepted])
            try await drainOutbox(store)
            // Re-read after a crash, alone and inside a larger batch.
            #expect(try await store.accept([command("r-1", readAt: place(0, 5))], now: t0 + 1) == [.redelivered])
            #expect(
                try await store.accept(
                    [command("r-1", readAt: place(0, 5)), command("r-2", readAt: place(0, 6))],
                    now: t0 + 2
                )
                    == [.redelivered, .accepted]
            )
            #expect(try await drainOutbox(store).map(\.event.eventID) == ["r-2:1"])

            // An upstream duplicate at offset 9: the latest event again, once; its own re-read: nothing.
            #expect(
                try await store.accept([command("r-1", readAt: place(0, 9))], now: t0 + 3) == [
                    .duplicate(latestStatus: .accepted)
                ]
            )
            #expect(try await store.accept([command("r-1", readAt: place(0, 9))], now: t0 + 4) == [.redelivered])
            #expect(try await drainOutbox(store).map(\.event.eventID) == ["r-1:1"])
            #expect(try await store.events(referenceID: "r-1").map(\.sequence) == [1])

            // Another partition's offset 5 is another place; a conflict is a conflict wherever it is read.
            #expect(
                try await store.accept([command("r-1", readAt: place(1, 5))], now: t0 + 5) == [
                    .duplicate(latestStatus: .accepted)
                ]
            )
            #expect(
                try await store.accept([command("r-1", amount: 7, readAt: place(0, 5))], now: t0 + 6) == [.conflict]
            )
            // Without a source, every repeat is a duplicate, as before sources were known.
            #expect(try await store.accept([command("r-1")], now: t0 + 7) == [.duplicate(latestStatus: .accepted)])
        }
    }

    @Test(
        "a rejection read again enqueues nothing; the same invalid command at another place is answered again",
        arguments: StoreKind.allCases
    )
    func rejectionRedelivered(kind: StoreKind) async throws {
        try await withStore(kind) { (fixture: StoreFixture) async throws in
            let store = fixture.store
            #expect(try await store.accept([rejection("x-1", readAt: place(2, 40))], now: t0) == [.rejected])
            #expect(
                try await store.accept(
                    [rejection("x-1", readAt: place(2, 40)), command("x-2", readAt: place(2, 41))],
                    now: t0 + 1
                )
                    == [.redelivered, .accepted]
            )
            #expect(try await store.accept([rejection("x-1", readAt: place(2, 42))], now: t0 + 2) == [.rejected])
            #expect(try await drainOutbox(store).map(\.event.eventID) == ["x-1:0", "x-2:1", "x-1:0"])
        }
    }

    @Test(
        "a known place with another reference_id (a topic that started its offsets over) is a new record",
        arguments: StoreKind.allCases
    )
    func samePlaceOtherReferenceIsNew(kind: StoreKind) async throws {
        try await withStore(kind) { (fixture: StoreFixture) async throws in
            let store = fixture.store
            #expect(try await store.accept([command("old-1", readAt: place(0, 0))], now: t0) == [.accepted])
            #expect(try await store.accept([command("new-1", readAt: place(0, 0))], now: t0 + 1) == [.accepted])
            // A duplicate recorded at a place, then another reference's duplicate at the same place.
            #expect(
                try await store.accept([command("old-1", readAt: place(0, 3))], now: t0 + 2) == [
                    .duplicate(latestStatus: .accepted)
                ]
            )
            #expect(
                try await store.accept([command("new-1", readAt: place(0, 3))], now: t0 + 3) == [
                    .duplicate(latestStatus: .accepted)
                ]
            )
            #expect(try await store.accept([command("new-1", readAt: place(0, 3))], now: t0 + 4) == [.redelivered])
            #expect(try await drainOutbox(store).map(\.event.eventID) == ["old-1:1", "new-1:1", "old-1:1", "new-1:1"])
        }
    }

    @Test("a redelivered command in a batch with a rejection keeps its classification", arguments: StoreKind.allCases)
    func mixedBatch(kind: StoreKind) async throws {
        try await withStore(kind) { (fixture: StoreFixture) async throws in
            let store = fixture.store
            #expect(try await store.accept([command("m-1", readAt: place(3, 1))], now: t0) == [.accepted])
            let outcomes = try await store.accept(
                [
                    command("m-1", readAt: place(3, 1)), rejection("m-2", readAt: place(3, 2)),
                    command("m-1", readAt: place(3, 3)),
                ],
                now: t0 + 1
            )
            #expect(outcomes == [.redelivered, .rejected, .duplicate(latestStatus: .accepted)])
            #expect(try await drainOutbox(store).map(\.event.eventID) == ["m-1:1", "m-2:0", "m-1:1"])
        }
    }
}
