import PayoutEngine
import Testing

/// The one conformance suite every `PayoutStore` passes, run against SQLite and a real PostgreSQL.
/// Split over several files by topic (intake, leases and transitions, ledger, outbox, concurrency).
@Suite("PayoutStore conformance")
struct PayoutStoreConformance {
    // MARK: - Schema

    @Test(arguments: StoreKind.allCases)
    func migrateIsIdempotent(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            #expect(try await store.accept([command("m-1")], now: t0) == [.accepted])
            try await store.migrate()
            try await store.migrate()
            #expect(try await store.payout(referenceID: "m-1")?.status == .accepted)
            #expect(try await store.events(referenceID: "m-1").map(\.sequence) == [1])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentMigrationsFromTwoStores(kind: StoreKind) async throws {
        let url = try await freshDatabaseURL(kind)
        let first = try await PayoutStoreFactory.open(url: url, logger: quietLogger)
        let second = try await PayoutStoreFactory.open(url: url, logger: quietLogger)
        async let a: Void = first.migrate()
        async let b: Void = second.migrate()
        _ = try await (a, b)
        #expect(try await first.accept([command("m-2")], now: t0) == [.accepted])
        #expect(try await second.payout(referenceID: "m-2") != nil)
        await first.close()
        await second.close()
    }

    // MARK: - Intake

    @Test(arguments: StoreKind.allCases)
    func acceptRecordsNewPayoutAndItsEvent(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            #expect(try await store.accept([command("a-1", amount: 2_500)], now: t0 + 5) == [.accepted])
            let payout = try #require(try await store.payout(referenceID: "a-1"))
            #expect(payout.amountMinor == 2_500)
            #expect(payout.currency == "XAF")
            #expect(payout.status == .accepted)
            #expect(!payout.isFinal)
            #expect(payout.sequence == 1)
            #expect(payout.attempts == 0)
            #expect(payout.nextAttemptAt == t0 + 5)
            #expect(payout.leaseOwner == nil && payout.leaseExpiresAt == nil)
            #expect(payout.createdAt == t0 + 5 && payout.updatedAt == t0 + 5)
            #expect(payout.state == #"{"step":"accepted"}"#)
            let events = try await store.events(referenceID: "a-1")
            #expect(
                events == [
                    StoredEvent(
                        referenceID: "a-1",
                        sequence: 1,
                        status: .accepted,
                        payload: #"{"id":"a-1:1"}"#,
                        occurredAt: t0
                    )
                ]
            )
            #expect(try await store.outboxBacklog() == 1)
            #expect(try await store.accept([], now: t0) == [])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func duplicatesAndConflictsAcrossBatches(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            #expect(try await store.accept([command("a-2")], now: t0) == [.accepted])
            #expect(try await store.accept([command("a-2")], now: t0 + 1) == [.duplicate(latestStatus: .accepted)])
            #expect(try await store.outboxBacklog() == 2)
            let before = try await store.payout(referenceID: "a-2")
            #expect(try await store.accept([command("a-2", amount: 999)], now: t0 + 2) == [.conflict])
            #expect(try await store.payout(referenceID: "a-2") == before)
            #expect(try await store.outboxBacklog() == 2)
            #expect(try await store.events(referenceID: "a-2").count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func duplicatesAndConflictsWithinOneBatch(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let outcomes = try await fixture.store.accept(
                [
                    command("b-1"), command("b-1"), command("b-1", recipient: "+237600000999"), command("b-2"),
                    rejection("b-1"),
                ],
                now: t0
            )
            #expect(outcomes == [.accepted, .duplicate(latestStatus: .accepted), .conflict, .accepted, .conflict])
            #expect(try await fixture.store.outboxBacklog() == 3)
            #expect(try await fixture.store.events(referenceID: "b-1").map(\.sequence) == [1])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func duplicateReenqueuesTheLatestEvent(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            _ = try await store.accept([command("d-1")], now: t0)
            try await drainOutbox(store)
            let claimed = try #require(try await claimOnly("d-1", store, owner: "w"))
            _ = try await store.commit(transition(claimed, owner: "w", status: .processing, eventCount: 2), now: t0)
            try await drainOutbox(store)
            #expect(try await store.accept([command("d-1")], now: t0 + 1) == [.duplicate(latestStatus: .processing)])
            let republished = try await drainOutbox(store)
            #expect(republished.map(\.event.eventID) == ["d-1:3"])
            #expect(try await store.events(referenceID: "d-1").map(\.sequence) == [1, 2, 3])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func rejectionsAreRecordedOnceAndDoNotReserveTheReference(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            #expect(try await store.accept([rejection("r-1", reason: "FIRST")], now: t0) == [.rejected])
            #expect(try await store.payout(referenceID: "r-1") == nil)
            // A later rejection re-enqueues the first event, unchanged.
            #expect(try await store.accept([rejection("r-1", reason: "SECOND")], now: t0 + 1) == [.rejected])
            let events = try await store.events(referenceID: "r-1")
            #expect(events.map(\.sequence) == [0])
            #expect(events.first?.payload.contains("FIRST") == true)
            let published = try await drainOutbox(store)
            #expect(published.map(\.event.eventID) == ["r-1:0", "r-1:0"])
            #expect(published.allSatisfy { $0.event.payload.contains("FIRST") })

            // The reference is still free for a valid command…
            #expect(try await store.accept([command("r-1")], now: t0 + 2) == [.accepted])
            #expect(try await store.events(referenceID: "r-1").map(\.sequence) == [0, 1])
            // …and once it exists, a rejection for it is a conflict that enqueues nothing.
            #expect(try await store.accept([rejection("r-1")], now: t0 + 3) == [.conflict])
            #expect(try await drainOutbox(store).map(\.event.eventID) == ["r-1:1"])
            #expect(try await store.payout(referenceID: "r-1")?.status == .accepted)
        }
    }

    // MARK: - Queries

    @Test(arguments: StoreKind.allCases)
    func queriesOnUnknownReferences(kind: StoreKind) async throws {
        try await withStore(kind) { (fixture: StoreFixture) async throws in
            #expect(try await fixture.store.payout(referenceID: "nope") == nil)
            #expect(try await fixture.store.events(referenceID: "nope") == [])
            #expect(try await fixture.store.hold(referenceID: "nope") == nil)
            #expect(try await fixture.store.countsByStatus() == [:])
            #expect(try await fixture.store.wallets() == [])
            #expect(try await fixture.store.outboxBacklog() == 0)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func countsByStatus(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            _ = try await store.accept((1...5).map { command("c-\($0)") } + [rejection("c-x")], now: t0)
            let claimed = try await store.claimDue(owner: "w", limit: 2, leaseMilliseconds: minute, now: t0)
            #expect(claimed.count == 2)
            _ = try await store.commit(transition(claimed[0], owner: "w", status: .completed, isFinal: true), now: t0)
            _ = try await store.commit(transition(claimed[1], owner: "w", status: .pending), now: t0)
            #expect(try await store.countsByStatus() == [.accepted: 3, .completed: 1, .pending: 1])
        }
    }

    @Test(
        "an event's traceparent is stored with it and comes back from the outbox and the history",
        arguments: StoreKind.allCases
    )
    func traceParents(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            let accepted = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            let rejected = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            var item = NewPayout(
                referenceID: "t-1",
                fingerprint: "1",
                amountMinor: 1,
                currency: "XAF",
                state: "{}",
                acceptedEvent: NewEvent(
                    sequence: 1,
                    status: .accepted,
                    payload: "{}",
                    occurredAt: t0,
                    traceParent: accepted
                )
            )
            item.source = nil
            let refusal = IntakeItem.rejection(
                referenceID: "t-2",
                event: NewEvent(sequence: 0, status: .rejected, payload: "{}", occurredAt: t0, traceParent: rejected),
                source: nil
            )
            #expect(
                try await store.accept([.command(item), refusal, command("t-3")], now: t0) == [
                    .accepted, .rejected, .accepted,
                ]
            )
            let claimed = try #require(try await claimOnly("t-1", store, owner: "w"))
            var step = transition(claimed, owner: "w", status: .pending)
            step.events = step.events.map {
                var event = $0
                event.traceParent = accepted
                return event
            }
            _ = try await store.commit(step, now: t0)

            let published = try await drainOutbox(store)
            let byID = Dictionary(
                published.map { ($0.event.eventID, $0.event.traceParent) },
                uniquingKeysWith: { first, _ in first }
            )
            let expected: [String: String?] = [
                "t-1:1": accepted, "t-2:0": rejected, "t-3:1": String?.none, "t-1:2": accepted,
            ]
            #expect(byID == expected, "\(byID)")
            #expect(try await store.events(referenceID: "t-1").map(\.traceParent) == [accepted, accepted])
        }
    }

    @Test(
        "the console's activity: who holds leases now, and payouts finished per minute by status",
        arguments: StoreKind.allCases
    )
    func activity(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            _ = try await store.accept((1...4).map { command("a-\($0)") }, now: t0)
            let first = try await store.claimDue(owner: "w1", limit: 2, leaseMilliseconds: minute, now: t0)
            let second = try await store.claimDue(owner: "w2", limit: 1, leaseMilliseconds: 2 * minute, now: t0 + 10)
            #expect(first.count == 2 && second.count == 1)
            #expect(
                try await store.leaseHolders(now: t0 + 20) == [
                    LeaseHolder(owner: "w1", payouts: 2, nextExpiry: t0 + minute),
                    LeaseHolder(owner: "w2", payouts: 1, nextExpiry: t0 + 10 + 2 * minute),
                ]
            )
            #expect(
                try await store.leaseHolders(now: t0 + minute + 1) == [
                    LeaseHolder(owner: "w2", payouts: 1, nextExpiry: t0 + 10 + 2 * minute)
                ],
                "w1's expired"
            )

            _ = try await store.commit(
                transition(first[0], owner: "w1", status: .completed, isFinal: true, at: t0 + 5_000),
                now: t0 + 5_000
            )
            _ = try await store.commit(
                transition(first[1], owner: "w1", status: .pending, renewLeaseMilliseconds: minute, at: t0 + 6_000),
                now: t0 + 6_000
            )
            _ = try await store.commit(
                transition(second[0], owner: "w2", status: .failed, isFinal: true, at: t0 + 70_000),
                now: t0 + 70_000
            )
            #expect(
                try await store.leaseHolders(now: t0 + 20) == [
                    LeaseHolder(owner: "w1", payouts: 1, nextExpiry: t0 + 6_000 + minute)
                ],
                "the renewed lease only: final payouts hold nothing"
            )
            let minuteOf = { (time: Int64) in time / minute * minute }
            #expect(
                try await store.finishedPerMinute(since: t0) == [
                    FinishedMinute(minuteStart: minuteOf(t0 + 5_000), status: .completed, count: 1),
                    FinishedMinute(minuteStart: minuteOf(t0 + 70_000), status: .failed, count: 1),
                ]
            )
            #expect(
                try await store.finishedPerMinute(since: t0 + 60_000) == [
                    FinishedMinute(minuteStart: minuteOf(t0 + 70_000), status: .failed, count: 1)
                ]
            )
        }
    }
}
