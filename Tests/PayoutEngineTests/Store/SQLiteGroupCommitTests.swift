import Dispatch
import Foundation
import GRDB
import Logging
import TestSupport
import Testing

@testable import PayoutEngine

/// Transactions that wait together commit together, and each keeps its own outcome.
@Suite("SQLite group commit")
struct SQLiteGroupCommitTests {
    @Test(
        "63 transactions queued behind a busy writer commit as one group; throws, rollbacks and a constraint violation undo only their own writes"
    )
    func membersKeepTheirOwnOutcome() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "group-commit-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLitePayoutStore.open(
            path: directory.appendingPathComponent("store.db").path,
            synchronous: .full,
            logger: Logger(label: "test")
        )
        _ = try await store.transaction("create") { db in
            try db.execute(sql: "CREATE TABLE numbers (n INTEGER PRIMARY KEY)")
            return .commit(0)
        }
        let groupsBefore = store.groupCommit.groupCount

        // The first transaction holds the writer until the other 63 are queued behind it.
        let release = DispatchSemaphore(value: 0)
        let started = Recorder<Bool>()
        let holder = Task {
            try await store.transaction("holder") { db in
                started.append(true)
                release.wait()
                try db.execute(sql: "INSERT INTO numbers (n) VALUES (1000)")
                return .commit(1000)
            }
        }
        await started.wait { !$0.isEmpty }
        let members = Task {
            try await withThrowingTaskGroup(of: (Int, Result<Int, StoreError>).self) { group in
                for n in 0..<63 {
                    group.addTask {
                        do throws(StoreError) {
                            let value = try await store.transaction("member \(n)") { db -> TransactionDecision<Int> in
                                try db.execute(
                                    sql: "INSERT INTO numbers (n) VALUES (?)",
                                    arguments: [GroupCommitPlan.key(n, of: 63, holderKey: 1000)]
                                )
                                return try GroupCommitPlan.decide(n)
                            }
                            return (n, .success(value))
                        } catch {
                            return (n, .failure(error))
                        }
                    }
                }
                return try await group.reduce(into: [Int: Result<Int, StoreError>]()) { $0[$1.0] = $1.1 }
            }
        }
        try await eventually("63 transactions wait") { store.groupCommit.waitingCount == 63 }
        release.signal()
        #expect(try await holder.value == 1000)
        let outcomes = try await members.value

        #expect(store.groupCommit.groupCount - groupsBefore == 2, "the holder's group, then one group of 63")
        GroupCommitPlan.check(outcomes, members: 63)

        let stored = try await store.read("numbers") { db in
            try Int.fetchAll(db, sql: "SELECT n FROM numbers ORDER BY n")
        }
        #expect(stored == GroupCommitPlan.committed(of: 63) + [1000])
        await store.close()
    }
}
