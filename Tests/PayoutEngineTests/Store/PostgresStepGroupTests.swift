import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import PayoutEngine

/// Engine steps that wait together commit together, each with its own outcome; every other write
/// runs in a transaction of its own.
@Suite("PostgreSQL step groups")
struct PostgresStepGroupTests {
    @Test(
        "a store transaction runs on its own: a throw, a rollback and a constraint violation write nothing, and the connection stays usable"
    )
    func transactionsKeepTheirOwnOutcome() async throws {
        try await withNumbersTable { store in
            _ = try await store.transaction("seed") { connection in
                try await connection.query("INSERT INTO numbers (n) VALUES (1000)", logger: quietLogger)
                return .commit(0)
            }
            // The pool reuses its connections, so a transaction left open by one would show in the next.
            var outcomes: [Int: Result<Int, StoreError>] = [:]
            for n in 0..<12 {
                do throws(StoreError) {
                    outcomes[n] = .success(
                        try await store.transaction("member \(n)") { connection -> TransactionDecision<Int> in
                            let key = GroupCommitPlan.key(n, of: 12, holderKey: 1000)
                            try await connection.query("INSERT INTO numbers (n) VALUES (\(key))", logger: quietLogger)
                            return try GroupCommitPlan.decide(n)
                        }
                    )
                } catch {
                    outcomes[n] = .failure(error)
                }
            }
            GroupCommitPlan.check(outcomes, members: 12)
            let stored = try await store.read("numbers") { connection in
                try await connection.query("SELECT n FROM numbers ORDER BY n", logger: quietLogger).collect().map {
                    try $0.decode(Int.self)
                }
            }
            #expect(stored == GroupCommitPlan.committed(of: 12) + [1000])
            #expect(try await openTransactions(store) == 0)
        }
    }

    @Test("engine steps committed in one group each get their own outcome: refused, misused and committed steps")
    func engineStepsInOneGroup() async throws {
        try await withStore(.postgres) { fixture in
            let store = try #require(fixture.store as? PostgresPayoutStore)
            try await store.setWallet(id: "w-xaf", currency: "XAF", balanceMinor: 1_000, now: t0)
            _ = try await store.accept(
                ["g-ok", "g-short", "g-lost", "g-twice"].map { command($0, amount: 600) },
                now: t0
            )
            try await drainOutbox(store)
            var claimed: [String: StoredPayout] = [:]
            for ref in ["g-ok", "g-short", "g-twice"] {
                let payout = try #require(try await claimOnly(ref, store, owner: "w"))
                claimed[ref] = payout
            }
            let lost = try #require(try await claimOnly("g-lost", store, owner: "other"))
            // g-twice holds already: its second hold is a misuse.
            let first = try await store.commit(
                transition(
                    claimed["g-twice"]!,
                    owner: "w",
                    ledger: .hold(currency: "XAF", amountMinor: 100),
                    renewLeaseMilliseconds: minute
                ),
                now: t0
            )
            let twice = try #require(first.committed)

            let busy = try await BusyGroups.occupy(store, fixture: fixture)
            let groupsBefore = store.stepGroups.groupCount
            let hold = { (payout: StoredPayout, owner: String) in
                transition(payout, owner: owner, ledger: .hold(currency: "XAF", amountMinor: 600))
            }
            // Submitted in this order, so the first hold takes 600 of the 900 available.
            let steps: [(String, PayoutTransition)] = [
                ("g-ok", hold(claimed["g-ok"]!, "w")), ("g-short", hold(claimed["g-short"]!, "w")),
                ("g-lost", hold(lost, "w")), ("g-twice", hold(twice, "w")),
            ]
            var tasks: [(String, Task<TransitionResult, any Error>)] = []
            for (index, (ref, step)) in steps.enumerated() {
                tasks.append((ref, Task { try await store.commit(step, now: t0) }))
                try await eventually("step \(index) waits") { store.stepGroups.waitingCount == index + 1 }
            }
            try await busy.release()
            var results: [String: Result<TransitionResult, any Error>] = [:]
            for (ref, task) in tasks { results[ref] = await task.result }

            #expect(
                store.stepGroups.groupCount - groupsBefore == PostgresStepGroups.concurrentGroups + 1,
                "the four steps commit as one group"
            )
            #expect(try results["g-ok"]?.get().committed?.sequence == 2)
            #expect(try results["g-short"]?.get() == .insufficientFunds(availableMinor: 300))
            #expect(try results["g-lost"]?.get() == .leaseLost)
            guard case .failure(let misuse as StoreError)? = results["g-twice"] else {
                Issue.record("a second hold answered \(String(describing: results["g-twice"]))")
                return
            }
            #expect(misuse.kind == .conflict && misuse.description.contains("already has a hold"))

            #expect(try await store.events(referenceID: "g-ok").map(\.sequence) == [1, 2])
            for (ref, payout) in [("g-short", claimed["g-short"]!), ("g-lost", lost), ("g-twice", twice)] {
                #expect(try await store.payout(referenceID: ref) == payout, "\(ref) is unchanged")
            }
            #expect(try await store.hold(referenceID: "g-short") == nil)
            #expect(try await store.wallets().first?.heldMinor == 700)
            let published = try await drainOutbox(store).map(\.event.eventID).sorted()
            #expect(
                published == ["busy-0:2", "busy-1:2", "busy-2:2", "busy-3:2", "g-ok:2"],
                "g-twice's first hold was published before"
            )
            #expect(store.lockConflicts == StoreLockConflicts())
        }
    }

    @Test(
        "a group runs its steps without a wallet first, then its wallet steps by currency, each currency in submission order"
    )
    func walletStepsRunLastByCurrency() throws {
        let payout = StoredPayout(
            referenceID: "p",
            fingerprint: "f",
            amountMinor: 1,
            currency: "XAF",
            status: .accepted,
            isFinal: false,
            reasonCode: nil,
            state: "{}",
            sequence: 1,
            attempts: 0,
            nextAttemptAt: t0,
            leaseOwner: "w",
            leaseExpiresAt: t0 + minute,
            createdAt: t0,
            updatedAt: t0
        )
        func member(_ ref: String, _ ledger: LedgerOperation) -> PostgresStepGroups.Member {
            var step = transition(payout, owner: "w", ledger: ledger)
            step.referenceID = ref
            return PostgresStepGroups.Member(transition: step, now: t0) { _ in }
        }
        let group = [
            member("a", .hold(currency: "XAF", amountMinor: 1)), member("b", .none),
            member("c", .post(debitedMinor: 1)),
            member("d", .void), member("e", .hold(currency: "USD", amountMinor: 1)),
            member("f", .post(debitedMinor: 1)),
        ]
        let order = PostgresStepGroups.lockOrder(group, currencies: ["c": "USD", "f": "XAF"])
        #expect(order.map { group[$0].transition.referenceID } == ["b", "d", "c", "e", "a", "f"])
    }
}

/// A fresh PostgreSQL store with a table `numbers (n INTEGER PRIMARY KEY)` for transactions to write.
private func withNumbersTable(_ body: (PostgresPayoutStore) async throws -> Void) async throws {
    try await withStore(.postgres) { fixture in
        let store = try #require(fixture.store as? PostgresPayoutStore)
        _ = try await store.transaction("create") { connection in
            try await connection.query("CREATE TABLE numbers (n INTEGER PRIMARY KEY)", logger: quietLogger)
            return .commit(0)
        }
        try await body(store)
    }
}

/// Sessions of the store's database left open in a transaction.
func openTransactions(_ store: PostgresPayoutStore) async throws -> Int {
    try await sessions(store, where: "state LIKE 'idle in transaction%'")
}

/// Sessions of the store's database waiting for a lock.
func lockWaiters(_ store: PostgresPayoutStore) async throws -> Int {
    try await sessions(store, where: "wait_event_type = 'Lock'")
}

private func sessions(_ store: PostgresPayoutStore, where condition: String) async throws -> Int {
    try await store.read("sessions") { connection in
        try await connection.query(
            PostgresQuery(
                unsafeSQL: "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND \(condition)"
            ),
            logger: quietLogger
        ).collect().first?.decode(Int.self) ?? -1
    }
}

/// Keeps every step group busy until what a test queues behind them is waiting: one step per
/// group, on a payout whose row a session of the test's own holds locked.
private struct BusyGroups {
    let locker: PostgresConnection
    let holders: [Task<TransitionResult, any Error>]

    static func occupy(_ store: PostgresPayoutStore, fixture: StoreFixture) async throws -> BusyGroups {
        let references = (0..<PostgresStepGroups.concurrentGroups).map { "busy-\($0)" }
        _ = try await store.accept(references.map { command($0) }, now: t0)
        try await drainOutbox(store)
        var claimed: [StoredPayout] = []
        for ref in references { claimed.append(try #require(try await claimOnly(ref, store, owner: "busy"))) }
        let locker = try await PostgresSession.connect(fixture.url)
        try await locker.query("BEGIN", logger: quietLogger)
        try await locker.query(
            "SELECT 1 FROM payouts WHERE reference_id = ANY(\(references)) FOR UPDATE",
            logger: quietLogger
        )
        var holders: [Task<TransitionResult, any Error>] = []
        for (index, payout) in claimed.enumerated() {
            holders.append(Task { try await store.commit(transition(payout, owner: "busy"), now: t0) })
            try await eventually("group \(index) waits for its payout row") {
                (try? await lockWaiters(store)) == index + 1
            }
        }
        return BusyGroups(locker: locker, holders: holders)
    }

    /// Lets every holder commit; throws what a holder threw.
    func release() async throws {
        try await locker.query("COMMIT", logger: quietLogger)
        try await locker.close()
        for holder in holders { _ = try #require(try await holder.value.committed) }
    }
}
