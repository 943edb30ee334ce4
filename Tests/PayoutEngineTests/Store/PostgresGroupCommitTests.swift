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
        try await withStore(.postgres) { fixture in
            let store = try #require(fixture.store as? PostgresPayoutStore)
            _ = try await store.transaction("create") { connection in
                try await connection.query("CREATE TABLE numbers (n INTEGER PRIMARY KEY)", logger: quietLogger)
                return .commit(0)
            }
            let groupsBefore = store.groupCommit.groupCount

            // One holder per concurrent group keeps every group busy until the rest are queued;
            // each is submitted once the one before it has a group of its own.
            let gate = Recorder<Bool>(), started = Recorder<Int>()
            var holders: [Task<Int, any Error>] = []
            for index in 0..<PostgresGroupCommit.concurrentGroups {
                holders.append(Task {
                    try await store.transaction("holder \(index)") { connection in
                        started.append(index)
                        await gate.wait { !$0.isEmpty }
                        try await connection.query("INSERT INTO numbers (n) VALUES (\(1000 + index))", logger: quietLogger)
                        return .commit(1000 + index)
                    }
                })
                await started.wait { $0.count == index + 1 }
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
            gate.append(true)
            for (index, holder) in holders.enumerated() { #expect(try await holder.value == 1000 + index) }
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
        try await withStore(.postgres) { fixture in
            let store = try #require(fixture.store as? PostgresPayoutStore)
            _ = try await store.transaction("create") { connection in
                try await connection.query("CREATE TABLE numbers (n INTEGER PRIMARY KEY)", logger: quietLogger)
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
}
