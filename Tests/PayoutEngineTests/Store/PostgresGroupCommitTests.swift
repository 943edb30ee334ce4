import Logging
@testable import PayoutEngine
import PostgresNIO
import Testing
import TestSupport

/// PostgreSQL transactions that wait together commit together, and each keeps its own outcome.
@Suite("PostgreSQL group commit")
struct PostgresGroupCommitTests {
    @Test("60 transactions queued behind busy groups commit as one group; throws, rollbacks and a constraint violation undo only their own writes")
    func membersKeepTheirOwnOutcome() async throws {
        try await withNumbersTable { store in
            let groupsBefore = store.groupCommit.groupCount

            let busy = await BusyGroups.occupy(store) { connection, index in
                try await connection.query("INSERT INTO numbers (n) VALUES (\(1000 + index))", logger: quietLogger)
            }
            let members = Task {
                await withTaskGroup(of: (Int, Result<Int, StoreError>).self) { group in
                    for n in 0..<60 {
                        group.addTask {
                            do throws(StoreError) {
                                let value = try await store.transaction("member \(n)") { connection -> TransactionDecision<Int> in
                                    let key = GroupCommitPlan.key(n, of: 60, holderKey: 1000)
                                    try await connection.query("INSERT INTO numbers (n) VALUES (\(key))", logger: quietLogger)
                                    return try GroupCommitPlan.decide(n)
                                }
                                return (n, .success(value))
                            } catch {
                                return (n, .failure(error))
                            }
                        }
                    }
                    return await group.reduce(into: [Int: Result<Int, StoreError>]()) { $0[$1.0] = $1.1 }
                }
            }
            try await eventually("60 transactions wait") { store.groupCommit.waitingCount == 60 }
            try await busy.release()
            let outcomes = await members.value

            #expect(store.groupCommit.groupCount - groupsBefore == PostgresGroupCommit.concurrentGroups + 1)
            GroupCommitPlan.check(outcomes, members: 60)

            let stored = try await store.read("numbers") { connection in
                try await connection.query("SELECT n FROM numbers ORDER BY n", logger: quietLogger).collect().map { try $0.decode(Int.self) }
            }
            #expect(stored == GroupCommitPlan.committed(of: 60) + (0..<PostgresGroupCommit.concurrentGroups).map { 1000 + $0 })
        }
    }

    @Test("a transaction alone in its group runs without a savepoint: a throw, a rollback and a constraint violation write nothing, and the connection stays usable")
    func loneTransactionsKeepTheirOwnOutcome() async throws {
        try await withNumbersTable { store in
            _ = try await store.transaction("seed") { connection in
                try await connection.query("INSERT INTO numbers (n) VALUES (1000)", logger: quietLogger)
                return .commit(0)
            }
            // One at a time, so each is alone in its group; the pool reuses its connections, so a
            // transaction left open by one would show in the next.
            var outcomes: [Int: Result<Int, StoreError>] = [:]
            for n in 0..<12 {
                let groupsBefore = store.groupCommit.groupCount
                do throws(StoreError) {
                    outcomes[n] = .success(try await store.transaction("member \(n)") { connection -> TransactionDecision<Int> in
                        let key = GroupCommitPlan.key(n, of: 12, holderKey: 1000)
                        try await connection.query("INSERT INTO numbers (n) VALUES (\(key))", logger: quietLogger)
                        return try GroupCommitPlan.decide(n)
                    })
                } catch {
                    outcomes[n] = .failure(error)
                }
                #expect(store.groupCommit.groupCount - groupsBefore == 1)
            }
            GroupCommitPlan.check(outcomes, members: 12)
            let stored = try await store.read("numbers") { connection in
                try await connection.query("SELECT n FROM numbers ORDER BY n", logger: quietLogger).collect().map { try $0.decode(Int.self) }
            }
            #expect(stored == GroupCommitPlan.committed(of: 12) + [1000])
            let open = try await store.read("open transactions") { connection in
                try await connection.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
                    logger: quietLogger
                ).collect().first?.decode(Int.self) ?? -1
            }
            #expect(open == 0)
        }
    }

    @Test("engine steps committed in one group each get their own outcome: refused, misused and committed steps, with no savepoint between them")
    func engineStepsInOneGroup() async throws {
        try await withStore(.postgres) { fixture in
            let store = try #require(fixture.store as? PostgresPayoutStore)
            try await store.setWallet(id: "w-xaf", currency: "XAF", balanceMinor: 1_000, now: t0)
            _ = try await store.accept(["g-ok", "g-short", "g-lost", "g-twice"].map { command($0, amount: 600) }, now: t0)
            try await drainOutbox(store)
            var claimed: [String: StoredPayout] = [:]
            for ref in ["g-ok", "g-short", "g-twice"] {
                let payout = try #require(try await claimOnly(ref, store, owner: "w"))
                claimed[ref] = payout
            }
            let lost = try #require(try await claimOnly("g-lost", store, owner: "other"))
            // g-twice holds already: its second hold is a misuse.
            let first = try await store.commit(
                transition(claimed["g-twice"]!, owner: "w", ledger: .hold(currency: "XAF", amountMinor: 100), renewLeaseMilliseconds: minute), now: t0)
            let twice = try #require(first.committed)

            let busy = await BusyGroups.occupy(store)
            let groupsBefore = store.groupCommit.groupCount
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
                try await eventually("step \(index) waits") { store.groupCommit.waitingCount == index + 1 }
            }
            try await busy.release()
            var results: [String: Result<TransitionResult, any Error>] = [:]
            for (ref, task) in tasks { results[ref] = await task.result }

            #expect(store.groupCommit.groupCount - groupsBefore == PostgresGroupCommit.concurrentGroups + 1, "the four steps commit as one group")
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
            #expect(try await drainOutbox(store).map(\.event.referenceID) == ["g-twice", "g-ok"])
        }
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

/// One holder transaction per concurrent group keeps every group busy until what a test queues
/// behind them is waiting; each is submitted once the one before it has a group of its own and
/// has run `write`.
private struct BusyGroups {
    let gate: Recorder<Bool>
    let holders: [Task<Void, any Error>]

    static func occupy(
        _ store: PostgresPayoutStore, write: @escaping @Sendable (PostgresConnection, Int) async throws -> Void = { _, _ in }
    ) async -> BusyGroups {
        let gate = Recorder<Bool>(), started = Recorder<Int>()
        var holders: [Task<Void, any Error>] = []
        for index in 0..<PostgresGroupCommit.concurrentGroups {
            holders.append(Task {
                try await store.transaction("holder \(index)") { connection in
                    // Written before the others queue: one of them that writes the same key then
                    // waits for this transaction and fails, whichever group starts first.
                    try await write(connection, index)
                    started.append(index)
                    await gate.wait { !$0.isEmpty }
                    return .commit(())
                }
            })
            await started.wait { $0.count == index + 1 }
        }
        return BusyGroups(gate: gate, holders: holders)
    }

    /// Lets every holder commit; throws what a holder threw.
    func release() async throws {
        gate.append(true)
        for holder in holders { try await holder.value }
    }
}

