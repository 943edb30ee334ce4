import Logging
import PostgresNIO
import Synchronization

/// Group commit for the PostgreSQL store, as ``SQLiteGroupCommit`` does for SQLite: write
/// transactions that wait together run on one connection inside one transaction, each in its own
/// savepoint and in submission order, and commit with one WAL flush. A transaction alone in its
/// group needs no savepoint: its rollback is the transaction's.
///
/// Why the pool alone does not amortise the flushes: every ledger step locks its wallet row until
/// its commit has flushed, so the payouts of one wallet commit one after another, each behind its
/// own flush, however many connections there are (measured: 1.1 commits per WAL sync). In a group
/// the wallet lock is taken once per group and released by one flush.
///
/// Up to ``concurrentGroups`` groups run at once, on their own connections, so a group that waits
/// on a row lock held by another does not stop the rest. A member that fails (a constraint, a
/// deadlock with another session) is rolled back to its savepoint, which also releases the locks
/// it took, and gets its own error (the store's retry of deadlocks then re-submits it). Each caller
/// learns its outcome only once the group has committed; a failure of the shared transaction
/// itself (a failed COMMIT, a lost connection) fails every member of the group.
final class PostgresGroupCommit: Sendable {
    /// One waiting transaction, type-erased: `run` executes it inside the group's transaction and
    /// says what that left to do; `finish` reports its outcome, or the group's failure.
    struct Member: Sendable {
        /// The second argument is true when the member is alone in its group: it then runs without
        /// a savepoint, and its rollback is the transaction's.
        let run: @Sendable (PostgresConnection, Bool) async -> MemberEnd
        let finish: @Sendable ((any Error)?) -> Void
    }

    /// What a member's run leaves the group's transaction to do.
    enum MemberEnd: Sendable {
        /// Its writes stay (or were undone to its savepoint); the group goes on.
        case proceed
        /// A lone member rolled back or failed: the transaction must be rolled back, not committed.
        case rollBack
        /// The transaction is unusable: the group fails.
        case broken
    }

    private struct State {
        var waiting: [Member] = []
        var running = 0
    }

    private let state = Mutex(State())
    private let groups = Atomic<Int>(0)
    /// Groups committed (or failed) so far.
    var groupCount: Int { groups.load(ordering: .relaxed) }
    /// Transactions waiting for a group.
    var waitingCount: Int { state.withLock { $0.waiting.count } }
    private let client: PostgresClient
    private let logger: Logger
    /// The most transactions one group holds.
    static let maximumGroup = 64
    /// Groups in flight at once, each on a pooled connection.
    static let concurrentGroups = 4

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Runs `body` as a member of the next group; returns once that group has committed.
    ///
    /// A `selfContained` body is one statement that writes all or nothing and leaves the
    /// transaction usable whatever it answers (a function that rolls itself back, as
    /// ``PostgresEngineStep``), and returns `.rollback` only when it wrote nothing: it runs without
    /// a savepoint. Should its statement fail all the same, the group fails.
    func execute<T: Sendable>(
        selfContained: Bool = false, _ body: @escaping @Sendable (PostgresConnection) async throws -> TransactionDecision<T>
    ) async throws -> T {
        let outcome = MemberOutcome<T>()
        let logger = self.logger
        return try await withCheckedThrowingContinuation { continuation in
            submit(Member(
                run: { connection, alone in
                    if alone || selfContained {
                        // A savepoint costs two round trips. Alone, the transaction is the member's own;
                        // self-contained, the member undoes itself.
                        do {
                            switch try await body(connection) {
                            case .commit(let value):
                                outcome.set(.success(value))
                                return .proceed
                            case .rollback(let value):
                                outcome.set(.success(value))
                                return alone ? .rollBack : .proceed
                            }
                        } catch {
                            outcome.set(.failure(error))
                            return alone ? .rollBack : .broken
                        }
                    }
                    do {
                        try await connection.query("SAVEPOINT member", logger: logger)
                    } catch {
                        outcome.set(.failure(error))
                        return .broken
                    }
                    do {
                        switch try await body(connection) {
                        case .commit(let value):
                            try await connection.query("RELEASE SAVEPOINT member", logger: logger)
                            outcome.set(.success(value))
                        case .rollback(let value):
                            try await connection.query("ROLLBACK TO SAVEPOINT member", logger: logger)
                            try await connection.query("RELEASE SAVEPOINT member", logger: logger)
                            outcome.set(.success(value))
                        }
                        return .proceed
                    } catch {
                        outcome.set(.failure(error))
                        do {
                            // Undoes the member's writes and releases the locks it took.
                            try await connection.query("ROLLBACK TO SAVEPOINT member", logger: logger)
                            try await connection.query("RELEASE SAVEPOINT member", logger: logger)
                            return .proceed
                        } catch {
                            return .broken
                        }
                    }
                },
                finish: { groupFailure in
                    if let groupFailure {
                        continuation.resume(throwing: groupFailure)
                    } else {
                        continuation.resume(with: outcome.get() ?? .failure(StoreError(.other, "transaction produced no result")))
                    }
                }))
        }
    }

    private func submit(_ member: Member) {
        let start = state.withLock { state -> Bool in
            state.waiting.append(member)
            guard state.running < Self.concurrentGroups else { return false }
            state.running += 1
            return true
        }
        if start { Task { await drain() } }
    }

    private func drain() async {
        while true {
            let group = state.withLock { state -> [Member] in
                let taken = Array(state.waiting.prefix(Self.maximumGroup))
                state.waiting.removeFirst(taken.count)
                if taken.isEmpty { state.running -= 1 }
                return taken
            }
            guard !group.isEmpty else { return }
            var failure: (any Error)?
            do {
                try await client.withConnection { connection in try await self.commit(group, on: connection) }
            } catch {
                failure = error
            }
            groups.add(1, ordering: .relaxed)
            for member in group { member.finish(failure) }
        }
    }

    private func commit(_ group: [Member], on connection: PostgresConnection) async throws {
        try await connection.query("BEGIN", logger: logger)
        for member in group {
            switch await member.run(connection, group.count == 1) {
            case .proceed:
                continue
            case .rollBack:
                // The member's own outcome stands: nothing of it was committed.
                do {
                    try await connection.query("ROLLBACK", logger: logger)
                } catch {
                    try? await connection.close()
                }
                return
            case .broken:
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw StoreError(.connection, "a transaction committed with others failed in a way that ended the shared transaction; none of the group was written")
            }
        }
        do {
            try await connection.query("COMMIT", logger: logger)
        } catch {
            // Its transaction state is unknown: it must not go back to the pool.
            try? await connection.close()
            throw error
        }
    }
}

/// A member's own outcome, set inside the group's transaction and read after it committed.
private final class MemberOutcome<Value: Sendable>: Sendable {
    private let result = Mutex<Result<Value, any Error>?>(nil)
    func set(_ outcome: Result<Value, any Error>) { result.withLock { $0 = outcome } }
    func get() -> Result<Value, any Error>? { result.withLock { $0 } }
}
