import Dispatch
import GRDB
import Logging
import Synchronization

/// The embedded store: one SQLite file in WAL mode, for a single worker process.
///
/// Concurrency: every write runs in a `BEGIN IMMEDIATE` transaction on GRDB's single writer
/// connection, so writes are serialised (within the process by GRDB's writer queue, across
/// processes by SQLite's write lock plus a busy timeout). That serialisation is what makes lease
/// fencing, claim exclusivity and the "available covers the hold" check race-free here; reads use
/// the pool's reader connections and see committed snapshots.
///
/// Blocking: GRDB's database access is synchronous; it only ever runs inside GRDB's async
/// `read`/`write` methods, which execute on GRDB's own dispatch queues, never on the Swift
/// cooperative pool. Opening and closing (also synchronous I/O) are sent to a dispatch queue too.
final class SQLitePayoutStore: PayoutStore {
    private let database: Mutex<(any DatabaseWriter)?>
    let groupCommit = SQLiteGroupCommit()
    let logger: Logger
    /// The writer connection's page cache, in KiB (32 MiB).
    static let writerCacheKiB = 32_768
    /// WAL pages between automatic checkpoints (SQLite's default is 1,000, 4 MiB).
    static let walAutocheckpointPages = 10_000
    /// What the writer connection sets besides `synchronous`.
    static let writerPragmas = [
        // The writer's page cache. An intake batch touches a few random leaf pages per record in
        // each reference_id index (UUIDs); with SQLite's default 2 MiB those were evicted and read
        // back within the same batch. Grows only as pages are used.
        "PRAGMA cache_size = -\(writerCacheKiB)",
        // A checkpoint copies every page the WAL holds into the database file and syncs both.
        // Random-key inserts rewrite the same index leaves over and over; checkpointing ten
        // times less often copies each of them once instead of ten times.
        "PRAGMA wal_autocheckpoint = \(walAutocheckpointPages)",
    ]
    /// Reference ids looked up per statement at intake (SQLite allows 32,766 parameters).
    static let lookupChunk = 500

    private init(writer: any DatabaseWriter, logger: Logger) {
        self.database = Mutex(writer)
        self.logger = logger
    }

    /// Opens (creating if needed) the database file, or a private in-memory database when `path` is nil.
    static func open(
        path: String?,
        synchronous: SQLiteSynchronous,
        logger: Logger
    ) async throws(StoreError) -> SQLitePayoutStore {
        var configuration = Configuration()
        configuration.label = "payout-store"
        configuration.foreignKeysEnabled = true
        // Another process holding the write lock (a second worker, a migration) is waited for;
        // only past this delay does a write fail, with a retriable error.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue.uppercased())")
            if !db.configuration.readonly {
                for pragma in Self.writerPragmas { try db.execute(sql: pragma) }
            }
        }
        let settings = configuration
        let result: Result<any DatabaseWriter, any Error> = await offCooperativePool {
            Result {
                if let path {
                    return try DatabasePool(path: path, configuration: settings)
                }
                return try DatabaseQueue(configuration: settings)
            }
        }
        switch result {
        case .success(let writer):
            logger.debug(
                "opened SQLite payout store",
                metadata: ["path": "\(path ?? ":memory:")", "synchronous": "\(synchronous.rawValue)"]
            )
            return SQLitePayoutStore(writer: writer, logger: logger)
        case .failure(let error):
            throw SQLiteErrorMapping.storeError(error, operation: "open \(path ?? ":memory:")")
        }
    }

    // MARK: - Schema

    func migrate() async throws(StoreError) {
        let applied = try await transaction("migrate") { db in
            try db.execute(sql: StoreMigration.sqliteLedger)
            let versions = Set(try Int.fetchAll(db, sql: "SELECT version FROM schema_migrations"))
            let pending = try StoreMigration.pending(applied: versions, known: StoreSchema.migrations)
            for migration in pending {
                for statement in migration.sqlite {
                    try db.execute(sql: statement)
                }
                try db.execute(
                    sql: "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    arguments: [migration.version, StoreClock.system.now()]
                )
            }
            return .commit(pending.map(\.version))
        }
        if !applied.isEmpty {
            logger.info("migrated SQLite payout store", metadata: ["versions": "\(applied)"])
        }
    }

    /// One process writes through one connection, which never waits on a row lock.
    var lockConflicts: StoreLockConflicts { StoreLockConflicts() }

    // MARK: - Lifecycle

    func close() async {
        guard
            let writer = database.withLock({ state -> (any DatabaseWriter)? in
                defer { state = nil }
                return state
            })
        else { return }
        let logger = self.logger
        // Closing waits for in-flight accesses and may checkpoint the WAL: blocking work.
        await offCooperativePool {
            do { try writer.close() } catch {
                logger.warning("closing SQLite payout store failed", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: - Access

    private func currentWriter(_ operation: String) throws(StoreError) -> any DatabaseWriter {
        guard let writer = database.withLock({ $0 }) else {
            throw StoreError(.connection, "\(operation): the store is closed")
        }
        return writer
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so a
    /// transaction never upgrades from reader to writer midway (which could fail with SQLITE_BUSY
    /// after having read stale data). Transactions waiting together commit together
    /// (``SQLiteGroupCommit``): `body` runs in a savepoint of a shared transaction, and this
    /// returns once that transaction is durable.
    func transaction<T: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable (Database) throws -> TransactionDecision<T>
    ) async throws(StoreError) -> T {
        _ = try currentWriter(operation)
        let outcome = GroupCommitOutcome<T>()
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<T, StoreError>, Never>) in
            let member = SQLiteGroupCommit.Member(
                run: { db in
                    do {
                        var decided: T?
                        try db.inSavepoint {
                            switch try body(db) {
                            case .commit(let value):
                                decided = value
                                return .commit
                            case .rollback(let value):
                                decided = value
                                return .rollback
                            }
                        }
                        guard let decided else {
                            throw StoreError(.other, "\(operation): transaction produced no result")
                        }
                        outcome.result.withLock { $0 = .success(decided) }
                    } catch {
                        outcome.result.withLock {
                            $0 = .failure(SQLiteErrorMapping.storeError(error, operation: operation))
                        }
                    }
                    // An error SQLite answers by rolling back the whole transaction ends the group.
                    return db.isInsideTransaction
                },
                finish: { groupFailure in
                    if let groupFailure {
                        continuation.resume(returning: .failure(groupFailure))
                    } else {
                        continuation.resume(
                            returning: outcome.result.withLock { $0 }
                                ?? .failure(StoreError(.other, "\(operation): transaction produced no result"))
                        )
                    }
                }
            )
            groupCommit.submit(member) { () throws(StoreError) in try self.currentWriter(operation) }
        }
        return try result.get()
    }

    func read<T: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws(StoreError) -> T {
        let writer = try currentWriter(operation)
        do {
            return try await writer.read(body)
        } catch {
            throw SQLiteErrorMapping.storeError(error, operation: operation)
        }
    }
}

/// Runs blocking work on a dispatch queue and suspends until it finishes, keeping the cooperative
/// pool's threads free.
private func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
    }
}
