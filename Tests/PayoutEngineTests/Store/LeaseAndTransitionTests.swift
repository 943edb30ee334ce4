import PayoutEngine
import Testing

extension PayoutStoreConformance {
    // MARK: - claimDue

    @Test(arguments: StoreKind.allCases)
    func claimDueTakesDueUnleasedUnfinishedPayoutsOldestFirst(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            _ = try await store.accept([command("late")], now: t0 + 30)
            _ = try await store.accept([command("early")], now: t0 + 10)
            _ = try await store.accept([command("future")], now: t0 + 10 * minute)
            _ = try await store.accept([command("final")], now: t0)
            let final = try #require(try await claimOnly("final", store, owner: "w", at: t0))
            _ = try await store.commit(
                transition(final, owner: "w", status: .failed, isFinal: true, nextAttemptAt: t0),
                now: t0
            )

            let first = try await store.claimDue(owner: "a", limit: 1, leaseMilliseconds: minute, now: t0 + 100)
            #expect(first.map(\.referenceID) == ["early"])
            #expect(first.first?.leaseOwner == "a")
            #expect(first.first?.leaseExpiresAt == t0 + 100 + minute)
            let rest = try await store.claimDue(owner: "b", limit: 10, leaseMilliseconds: minute, now: t0 + 100)
            #expect(rest.map(\.referenceID) == ["late"])
            #expect(try await store.claimDue(owner: "c", limit: 10, leaseMilliseconds: minute, now: t0 + 100).isEmpty)
            #expect(try await store.payout(referenceID: "early")?.leaseOwner == "a")
            #expect(try await store.claimDue(owner: "c", limit: 0, leaseMilliseconds: minute, now: t0 + 100).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func renewLeaseExtendsOnlyALeaseTheOwnerStillHolds(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            _ = try await store.accept([command("r-1"), command("r-final")], now: t0)
            _ = try #require(try await claimOnly("r-1", store, owner: "a", lease: 1_000, at: t0))
            #expect(
                try await store.renewLease(referenceID: "r-1", owner: "a", leaseMilliseconds: 5_000, now: t0 + 500)
                    == t0 + 5_500
            )
            #expect(try await store.payout(referenceID: "r-1")?.leaseExpiresAt == t0 + 5_500)
            #expect(
                try await store.renewLease(referenceID: "r-1", owner: "b", leaseMilliseconds: 5_000, now: t0 + 500)
                    == nil
            )
            // Ran out, but nobody claimed it since: still the owner's, and renewed.
            #expect(
                try await store.renewLease(referenceID: "r-1", owner: "a", leaseMilliseconds: 1_000, now: t0 + 9_000)
                    == t0 + 10_000
            )
            // Claimed by another once it ran out: gone for good.
            _ = try #require(try await claimOnly("r-1", store, owner: "b", lease: 1_000, at: t0 + 10_000))
            #expect(
                try await store.renewLease(referenceID: "r-1", owner: "a", leaseMilliseconds: 1_000, now: t0 + 10_001)
                    == nil
            )
            #expect(try await store.payout(referenceID: "r-1")?.leaseOwner == "b")

            let final = try #require(try await claimOnly("r-final", store, owner: "a", at: t0))
            _ = try await store.commit(
                transition(final, owner: "a", status: .failed, isFinal: true, renewLeaseMilliseconds: minute),
                now: t0
            )
            #expect(
                try await store.renewLease(referenceID: "r-final", owner: "a", leaseMilliseconds: 1_000, now: t0) == nil
            )
        }
    }

    @Test(arguments: StoreKind.allCases)
    func expiredLeaseIsClaimableAndTheOldOwnerIsFenced(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            _ = try await store.accept([command("l-1")], now: t0)
            let byA = try #require(try await claimOnly("l-1", store, owner: "a", lease: 1_000, at: t0))
            #expect(try await store.claimDue(owner: "b", limit: 10, leaseMilliseconds: 1_000, now: t0 + 999).isEmpty)
            let byB = try #require(try await claimOnly("l-1", store, owner: "b", lease: 1_000, at: t0 + 1_000))
            #expect(byB.leaseOwner == "b")

            let backlog = try await store.outboxBacklog()
            let lost = try await store.commit(transition(byA, owner: "a", ledger: .none), now: t0 + 1_001)
            #expect(lost == .leaseLost)
            #expect(try await store.payout(referenceID: "l-1") == byB)
            #expect(try await store.events(referenceID: "l-1").map(\.sequence) == [1])
            #expect(try await store.outboxBacklog() == backlog)

            let done = try await store.commit(transition(byB, owner: "b"), now: t0 + 1_001)
            #expect(done.committed?.sequence == 2)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func commitAfterOwnLeaseExpiredIsLeaseLost(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            _ = try await store.accept([command("l-2")], now: t0)
            let claimed = try #require(try await claimOnly("l-2", store, owner: "a", lease: 1_000, at: t0))
            #expect(try await store.commit(transition(claimed, owner: "a"), now: t0 + 1_000) == .leaseLost)
            #expect(try await store.commit(transition(claimed, owner: "someone-else"), now: t0 + 10) == .leaseLost)
            let unknown = transition(claimed, owner: "a")
            var missing = unknown
            missing.referenceID = "does-not-exist"
            #expect(try await store.commit(missing, now: t0 + 10) == .leaseLost)
            #expect(try await store.payout(referenceID: "l-2") == claimed)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func releaseLeaseOnlyByItsOwner(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            _ = try await store.accept([command("l-3")], now: t0)
            _ = try #require(try await claimOnly("l-3", store, owner: "a", at: t0))
            try await store.releaseLease(referenceID: "l-3", owner: "b")
            #expect(try await store.payout(referenceID: "l-3")?.leaseOwner == "a")
            try await store.releaseLease(referenceID: "l-3", owner: "a")
            let released = try #require(try await store.payout(referenceID: "l-3"))
            #expect(released.leaseOwner == nil && released.leaseExpiresAt == nil)
            #expect(try await claimOnly("l-3", store, owner: "b", at: t0 + 1)?.leaseOwner == "b")
        }
    }

    // MARK: - commit

    @Test(arguments: StoreKind.allCases)
    func commitUpdatesThePayoutAndEnqueuesEveryEvent(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            _ = try await store.accept([command("t-1")], now: t0)
            try await drainOutbox(store)
            let claimed = try #require(try await claimOnly("t-1", store, owner: "w", at: t0))
            let renewed = try await store.commit(
                transition(
                    claimed,
                    owner: "w",
                    status: .pending,
                    reasonCode: "PROVIDER_TIMEOUT",
                    eventCount: 2,
                    nextAttemptAt: t0 + 5 * minute,
                    renewLeaseMilliseconds: 2 * minute,
                    incrementAttempts: true,
                    at: t0 + 7
                ),
                now: t0 + 7
            ).committed
            let payout = try #require(renewed)
            #expect(payout.status == .pending && payout.reasonCode == "PROVIDER_TIMEOUT" && !payout.isFinal)
            #expect(payout.sequence == 3)
            #expect(payout.attempts == 1)
            #expect(payout.nextAttemptAt == t0 + 5 * minute)
            #expect(payout.leaseOwner == "w" && payout.leaseExpiresAt == t0 + 7 + 2 * minute)
            #expect(payout.state == #"{"step":"pending"}"#)
            #expect(payout.updatedAt == t0 + 7 && payout.createdAt == t0)
            #expect(try await store.payout(referenceID: "t-1") == payout)
            #expect(try await drainOutbox(store).map(\.event.eventID) == ["t-1:2", "t-1:3"])

            // Still leased (renewed): a commit without events, releasing the lease, keeps the sequence.
            let released = try #require(
                try await store.commit(
                    transition(
                        payout,
                        owner: "w",
                        status: .completed,
                        isFinal: true,
                        eventCount: 0,
                        incrementAttempts: false,
                        at: t0 + 8
                    ),
                    now: t0 + 8
                ).committed
            )
            #expect(released.sequence == 3 && released.attempts == 1 && released.isFinal)
            #expect(released.leaseOwner == nil && released.leaseExpiresAt == nil)
            #expect(try await store.outboxBacklog() == 0)
            // Final: never claimed again.
            #expect(
                try await store.claimDue(owner: "x", limit: 10, leaseMilliseconds: minute, now: t0 + 100 * minute)
                    .isEmpty
            )
        }
    }

    @Test(arguments: StoreKind.allCases)
    func eventsMustContinueTheStoredSequence(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            _ = try await store.accept([command("s-1")], now: t0)
            let claimed = try #require(try await claimOnly("s-1", store, owner: "w", at: t0))
            var repeated = transition(claimed, owner: "w")
            repeated.events[0].sequence = 1
            var gap = transition(claimed, owner: "w")
            gap.events[0].sequence = 3
            // The first event continues the stored sequence; the second skips one.
            var skipping = transition(claimed, owner: "w", eventCount: 2)
            skipping.events[1].sequence = 4
            for bad in [repeated, gap, skipping] {
                let error = await #expect(throws: StoreError.self) { try await store.commit(bad, now: t0) }
                #expect(error?.kind == .conflict && error?.isRetriable == false)
            }
            #expect(try await store.payout(referenceID: "s-1") == claimed)
            #expect(try await store.events(referenceID: "s-1").map(\.sequence) == [1])
        }
    }
}
