import GRDB
import Synchronization

/// Group commit for the SQLite store: every write transaction the store runs goes through here,
/// and all that are waiting when the writer comes free commit together, in one `BEGIN IMMEDIATE`
/// transaction and one WAL sync. Each stays its own unit inside it: it runs in a savepoint, in
/// the order it was submitted, so it sees exactly what it would have seen run alone after the ones
/// before it (leases, holds and fencing checks included); a body that throws or decides to roll
/// back undoes its savepoint only; and each caller is told its own outcome, only once the whole
/// group is durable. A failure that ends the transaction itself (a failed COMMIT, an I/O error
/// that made SQLite roll back) fails every member of the group, none of whose writes then exist.
///
/// There is no delay to collect a group: while one group syncs, the next one gathers. With one
/// writer this is the whole benefit: steps of many in-flight payouts cost one sync instead of one
/// each, which is what bounded the engine's throughput at high concurrency.
final class SQLiteGroupCommit: Sendable {
    /// One waiting transaction, type-erased. `run` executes it inside the group's transaction and
    /// returns false if that left the transaction unusable; `finish` reports the outcome, or the
    /// group's failure.
    struct Member: Sendable {
        let run: @Sendable (Database) -> Bool
        let finish: @Sendable (StoreError?) -> Void
    }

    private struct State {
        var waiting: [Member] = []
        var draining = false
    }

    private let state = Mutex(State())
    private let groups = Atomic<Int>(0)
    /// Groups committed (or failed) so far.
    var groupCount: Int { groups.load(ordering: .relaxed) }
    /// Transactions waiting for the writer.
    var waitingCount: Int { state.withLock { $0.waiting.count } }
    /// The most transactions one group holds, so one sync never waits behind an unbounded group.
    static let maximumGroup = 128

    /// Queues `member`; starts draining if no drain runs. `writer` returns the store's writer, or
    /// throws once the store is closed.
    func submit(_ member: Member, writer: @escaping @Sendable () throws(StoreError) -> any DatabaseWriter) {
        let start = state.withLock { state -> Bool in
            state.waiting.append(member)
            defer { state.draining = true }
            return !state.draining
        }
        guard start else { return }
        Task { await drain(writer: writer) }
    }

    private func drain(writer: @Sendable () throws(StoreError) -> any DatabaseWriter) async {
        while true {
            let group = state.withLock { state -> [Member] in
                let taken = Array(state.waiting.prefix(Self.maximumGroup))
                state.waiting.removeFirst(taken.count)
                if taken.isEmpty { state.draining = false }
                return taken
            }
            guard !group.isEmpty else { return }
            let failure: StoreError?
            do throws(StoreError) {
                let open = try writer()
                failure = await Self.commit(group, on: open)
            } catch {
                failure = error
            }
            groups.add(1, ordering: .relaxed)
            for member in group { member.finish(failure) }
        }
    }

    /// Runs the group in one transaction; returns the error that failed the whole group, if any.
    private static func commit(_ group: [Member], on writer: any DatabaseWriter) async -> StoreError? {
        do {
            return try await writer.writeWithoutTransaction { db -> StoreError? in
                try db.execute(sql: "BEGIN IMMEDIATE")
                for member in group where !member.run(db) {
                    if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                    return StoreError(
                        .other,
                        "a transaction committed with others failed in a way that ended the shared transaction; none of the group was written",
                        isRetriable: true
                    )
                }
                do {
                    try db.execute(sql: "COMMIT")
                } catch {
                    if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                    throw error
                }
                return nil
            }
        } catch {
            return SQLiteErrorMapping.storeError(error, operation: "group commit of \(group.count) transactions")
        }
    }
}

/// A member's own outcome, set inside the group's transaction and read after it committed.
final class GroupCommitOutcome<Value: Sendable>: Sendable {
    let result = Mutex<Result<Value, StoreError>?>(nil)
}
