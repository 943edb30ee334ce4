import Logging
@testable import PayoutEngine
import PostgresNIO
import Testing
import TestSupport

/// PostgreSQL transactions that wait together commit together, and each keeps its own outcome.
@Suite("PostgreSQL group commit")
struct PostgresGroupCommitTests {
    enum Planned: Error { case failure(Int) }

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
                                    // n = 59 repeats a holder's key: a constraint violation.
                                    try await connection.query("INSERT INTO numbers (n) VALUES (\(n == 59 ? 1000 : n))", logger: quietLogger)
                                    switch n % 3 {
                                    case 0: throw Planned.failure(n)
                                    case 1: return .rollback(n)
                                    default: return .commit(n)
                                    }
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
            for n in 0..<59 {
                switch (n % 3, outcomes[n]) {
                case (0, .failure(let error)): #expect(error.description.contains("member \(n): Planned"))
                case (1, .success(let value)), (2, .success(let value)): #expect(value == n)
                default: Issue.record("transaction \(n) answered \(String(describing: outcomes[n]))")
                }
            }
            guard case .failure(let violation) = outcomes[59] else { Issue.record("the duplicate key committed"); return }
            #expect(violation.kind == .conflict)

            let stored = try await store.read("numbers") { connection in
                try await connection.query("SELECT n FROM numbers ORDER BY n", logger: quietLogger).collect().map { try $0.decode(Int.self) }
            }
            #expect(stored == (0..<59).filter { $0 % 3 == 2 } + (0..<PostgresGroupCommit.concurrentGroups).map { 1000 + $0 })
        }
    }
}
