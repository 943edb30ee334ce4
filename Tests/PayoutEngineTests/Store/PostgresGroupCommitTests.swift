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
}
