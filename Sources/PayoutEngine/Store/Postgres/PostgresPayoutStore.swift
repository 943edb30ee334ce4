import Logging
import PostgresNIO
import Synchronization

/// The shared store: PostgreSQL, for several worker processes over one database.
///
/// Isolation: READ COMMITTED plus explicit row locks, taken in one global order, payout rows by
/// reference_id (`COLLATE "C"`), then wallet rows by currency, so the store's transactions never
/// wait on each other in a cycle (see ``PostgresStepGroups``):
/// - an engine step (one call of `payout_step`, ``PostgresEngineStep``) locks its payout row
///   (`FOR UPDATE`) before checking the lease, so the fence check and the writes it guards are
///   atomic against a concurrent claim or commit. Steps are committed in groups, which lock all
///   their payout rows first and take wallets last, in currency order;
/// - `.hold` locks the wallet row (`FOR UPDATE`) before summing pending holds. Every write to a
///   wallet's holds or balance happens under that lock, and each READ COMMITTED statement takes a
///   fresh snapshot, so the sum seen after the lock is exact: two holds can never both be admitted
///   against the same available balance;
/// - `claimDue`/`claimOutbox` lock candidates with `FOR UPDATE SKIP LOCKED` and re-check the
///   predicate on the locked row version, so concurrent claimers never share a row, and a claim
///   never waits;
/// - `accept` inserts with `ON CONFLICT DO NOTHING` (which waits for a concurrent inserter of the
///   same key) and re-enqueues duplicates under `FOR SHARE`, after any in-flight transition of the
///   payout, so a re-emitted event is never older than one already enqueued after it. It locks in
///   `reference_id` order and never takes a wallet.
/// Everything but engine steps runs in a transaction of its own. No case needs SERIALIZABLE.
/// Every session has a `lock_timeout` and a `statement_timeout` (``PostgresLocation``), so no
/// transaction waits, or holds what it locked, for long; a deadlock or serialization failure
/// (possible only with foreign sessions) runs the transaction again a few times. Each such
/// conflict is counted in ``lockConflicts`` and logged with what it waited for.
final class PostgresPayoutStore: PayoutStore {
    private let client: PostgresClient
    let stepGroups: PostgresStepGroups
    private let conflicts = LockConflictCounter()
    /// Drives the pool; cancelling it shuts the pool down (`close()`).
    private let runner: Task<Void, Never>
    /// Finishes once the runner is executing, about to enter `run()`.
    private let runnerStarted: AsyncStream<Void>
    let logger: Logger
    private static let transactionAttempts = 5
    /// Key of the advisory lock serialising migrations across processes (ASCII "payoutmg").
    private static let migrationLockKey: Int64 = 0x7061_796F_7574_6D67

    private init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        self.stepGroups = PostgresStepGroups(client: client, conflicts: conflicts, logger: logger)
        let (started, signal) = AsyncStream<Void>.makeStream()
        self.runnerStarted = started
        self.runner = Task {
            signal.finish()
            await client.run()
        }
    }

    /// Connects once to fail fast with a precise error (the pool alone would retry in the background
    /// and only give up after a minute), then starts the pool.
    static func open(_ location: PostgresLocation, logger given: Logger) async throws(StoreError) -> PostgresPayoutStore
    {
        let logger = Self.driverLogger(given)
        let probe = try connectionConfiguration(location)
        do {
            let connection = try await PostgresConnection.connect(configuration: probe, id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw connectFailure(error, location)
        }

        var configuration = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: clientTLS(location)
        )
        configuration.options.maximumConnections = location.poolSize
        configuration.options.connectTimeout = .seconds(location.connectTimeoutSeconds)
        // A worker's transactions never wait on anything but their own statements. One left open
        // by a process that stopped without closing its sockets would hold its row locks, and
        // every other worker with them, for good: a crashed worker's backtracer (which inherits
        // the sockets and can take minutes) did exactly that in a chaos soak. The server ends
        // such a session after this long; what it held is rolled back and claimed again.
        // lock_timeout and statement_timeout bound how long any of the store's transactions waits
        // for a lock or runs a statement, and so how long it can hold what it locked.
        configuration.options.additionalStartupParameters = [
            ("idle_in_transaction_session_timeout", Self.idleInTransactionTimeout),
            ("lock_timeout", "\(location.lockTimeoutMilliseconds)"),
            ("statement_timeout", "\(location.statementTimeoutMilliseconds)"),
        ]
        logger.debug("opened PostgreSQL payout store", metadata: ["url": "\(location)"])
        let store = PostgresPayoutStore(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger),
            logger: logger
        )
        // A lease asked for before the pool runs waits for it, but postgres-nio logs a warning
        // for it: the first query (the migration, at every start) would race the runner.
        for await _ in store.runnerStarted {}
        return store
    }

    /// One connection's configuration: the probe's, and a direct client's.
    static func connectionConfiguration(
        _ location: PostgresLocation
    ) throws(StoreError) -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: try connectionTLS(location)
        )
        configuration.options.connectTimeout = .seconds(Int64(location.connectTimeoutSeconds))
        return configuration
    }

    /// `idle_in_transaction_session_timeout`, in milliseconds.
    static let idleInTransactionTimeout = "30000"

    /// PostgresNIO's trace level dumps every message on the wire: bind values and rows, the
    /// payout's state among them, as hex. A recipient's phone sits in that state until its account
    /// exists, so the driver never gets a logger below debug, whatever the worker's level.
    static func driverLogger(_ logger: Logger) -> Logger {
        var clamped = logger
        clamped.logLevel = max(logger.logLevel, .debug)
        return clamped
    }

    // MARK: - Schema

    func migrate() async throws(StoreError) {
        let applied = try await transaction("migrate") { [self] connection in
            // A migration may wait for another process's migration and rewrite large tables: the
            // session's bounds are for the worker's own work, not for this.
            try await connection.query("SET LOCAL lock_timeout = 0", logger: logger)
            try await connection.query("SET LOCAL statement_timeout = 0", logger: logger)
            // Held until commit: a second process migrating at the same time waits here, then
            // finds every version recorded and does nothing. Advisory locks are per database.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: StoreMigration.postgresLedger), logger: logger)
            var versions = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger)
                .decode(Int.self)
            {
                versions.insert(version)
            }
            let pending = try StoreMigration.pending(applied: versions, known: StoreSchema.migrations)
            for migration in pending {
                for statement in migration.postgres {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(migration.version), \(StoreClock.system.now()))",
                    logger: logger
                )
            }
            return .commit(pending.map(\.version))
        }
        if !applied.isEmpty {
            logger.info("migrated PostgreSQL payout store", metadata: ["versions": "\(applied)"])
        }
    }

    // MARK: - Lifecycle

    /// Shuts the pool down and waits for it, at most ``closeBound``. postgres-nio's `run()`
    /// returns only once every leased connection is back, and an operation it left unanswered (see
    /// ``abandoningOnCancellation(_:)``) keeps its lease for ever, so a store whose sockets are all
    /// closed could wait there without end. Past the bound the store says so and returns;
    /// the pool's connections are closed either way.
    func close() async {
        runner.cancel()
        let runner = self.runner
        let finished = FirstOutcome<Bool>()
        Task {
            await runner.value
            finished.finish(.success(true))
        }
        let bound = Task {
            try? await Task.sleep(for: Self.closeBound)
            finished.finish(.success(false))
        }
        let closed = (try? await withCheckedThrowingContinuation { finished.wait(with: $0) }) ?? false
        bound.cancel()
        if !closed {
            logger.warning(
                "the PostgreSQL pool did not finish shutting down; an operation it never answered still holds a connection",
                metadata: ["waited_s": "\(Self.closeBound.components.seconds)"]
            )
        }
    }

    static let closeBound: Duration = .seconds(10)

    deinit {
        runner.cancel()
    }

    // MARK: - Access

    /// Runs `body` in a READ COMMITTED transaction of its own on a pooled connection.
    /// Rolled-back conflicts (deadlock, serialization failure) run the whole body again; any other
    /// error is returned. A failure while committing is reported as is: the outcome is unknown, so
    /// the caller must re-read before retrying.
    func transaction<T: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> TransactionDecision<T>
    ) async throws(StoreError) -> T {
        try await withRetries(operation) { [client, logger] in
            try await client.withConnection { connection in
                try await Self.runTransaction(on: connection, logger: logger, body)
            }
        }
    }

    /// Runs one statement (its own implicit transaction) on a pooled connection, with the same
    /// retries as ``transaction(_:_:)``: for a write that is one statement, two round trips fewer.
    func autocommit<T: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws(StoreError) -> T {
        try await withRetries(operation) { [client] in
            try await client.withConnection { connection in try await body(connection) }
        }
    }

    private func withRetries<T: Sendable>(
        _ operation: String,
        _ attempt: @escaping @Sendable () async throws -> T
    ) async throws(StoreError) -> T {
        var attempts = 1
        while true {
            do {
                return try await Self.abandoningOnCancellation(attempt)
            } catch {
                if let state = PostgresErrorMapping.sqlState(of: error) {
                    noteConflict(operation, sqlState: state, error: error)
                    if retries(operation, after: state, attempt: &attempts) { continue }
                }
                throw PostgresErrorMapping.storeError(error, operation: operation)
            }
        }
    }

    private static func runTransaction<T: Sendable>(
        on connection: PostgresConnection,
        logger: Logger,
        _ body: @Sendable (PostgresConnection) async throws -> TransactionDecision<T>
    ) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        let decision: TransactionDecision<T>
        do {
            decision = try await body(connection)
        } catch {
            await connection.rollBackOrClose(logger: logger)
            throw error
        }
        switch decision {
        case .commit(let value):
            do {
                try await connection.query("COMMIT", logger: logger)
            } catch {
                // Its transaction state is unknown: it must not go back to the pool.
                try? await connection.close()
                throw error
            }
            return value
        case .rollback(let value):
            try await connection.query("ROLLBACK", logger: logger)
            return value
        }
    }

    /// Counts and logs a lock conflict that ended a transaction, with what it waited for.
    private func noteConflict(_ operation: String, sqlState: String, error: any Error) {
        guard let kind = StoreLockConflicts.Kind(sqlState: sqlState) else { return }
        conflicts.record(kind)
        let info = (PostgresErrorMapping.unwrap(error) as? PSQLError)?.serverInfo
        logger.warning(
            "lock conflict ended a store transaction; its locks were released",
            metadata: [
                "operation": "\(operation)", "kind": "\(kind.rawValue)", "message": "\(info?[.message] ?? "")",
                "waited_for": "\(info?[.locationContext] ?? "unknown")",
            ]
        )
    }

    /// Lock waits this store gave up on since it opened.
    var lockConflicts: StoreLockConflicts { conflicts.snapshot }

    /// Whether a transaction that the server rolled back with `state` runs again: a deadlock or a
    /// serialization failure, fewer than ``transactionAttempts`` times. Counts the attempt.
    func retries(_ operation: String, after state: String, attempt: inout Int) -> Bool {
        guard attempt < Self.transactionAttempts, PostgresErrorMapping.runsAgain(after: state) else { return false }
        attempt += 1
        logger.debug(
            "retrying PostgreSQL transaction",
            metadata: ["operation": "\(operation)", "sqlstate": "\(state)"]
        )
        return true
    }

    func read<T: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws(StoreError) -> T {
        do {
            return try await Self.abandoningOnCancellation { [client] in
                try await client.withConnection { connection in try await body(connection) }
            }
        } catch {
            if let state = PostgresErrorMapping.sqlState(of: error) {
                noteConflict(operation, sqlState: state, error: error)
            }
            throw PostgresErrorMapping.storeError(error, operation: operation)
        }
    }

    /// Runs `operation` on a task of its own and stops waiting for it once the caller is cancelled.
    ///
    /// postgres-nio 1.33.2 can leave a query unanswered for ever, cancellation or not: a query
    /// written to a connection the server has just closed (PostgreSQL stopped, the backend
    /// terminated) is neither answered nor failed, and the ROLLBACK that follows a failed statement
    /// on such a connection waits the same way. A stopping worker whose PostgreSQL is gone would
    /// wait there past its shutdown bound, its in-flight commits never returning after the drain is
    /// cancelled. The abandoned
    /// operation keeps its pooled connection until the pool shuts down; its outcome is unknown,
    /// as for any failed commit, and the recovery point is the last one that committed.
    static func abandoningOnCancellation<T: Sendable>(
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let outcome = FirstOutcome<T>()
        let work = Task {
            do { outcome.finish(.success(try await operation())) } catch { outcome.finish(.failure(error)) }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { outcome.wait(with: $0) }
        } onCancel: {
            work.cancel()
            outcome.finish(.failure(CancellationError()))
        }
    }

    // MARK: - Connection setup

    private static func connectionTLS(
        _ location: PostgresLocation
    ) throws(StoreError) -> PostgresConnection.Configuration.TLS {
        do {
            switch location.tls {
            case .disable: return .disable
            case .prefer: return .prefer(try NIOSSLContext(configuration: unverifiedTLS()))
            case .require: return .require(try NIOSSLContext(configuration: unverifiedTLS()))
            case .verifyFull: return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        } catch {
            throw StoreError(.connection, "cannot set up TLS for PostgreSQL: \(error)")
        }
    }

    private static func clientTLS(_ location: PostgresLocation) -> PostgresClient.Configuration.TLS {
        switch location.tls {
        case .disable: .disable
        case .prefer: .prefer(unverifiedTLS())
        case .require: .require(unverifiedTLS())
        case .verifyFull: .require(.makeClientConfiguration())
        }
    }

    /// libpq's `prefer`/`require`: encrypted, but the server's certificate is not checked.
    private static func unverifiedTLS() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return configuration
    }

    private static func connectFailure(_ error: any Error, _ location: PostgresLocation) -> StoreError {
        var mapped = PostgresErrorMapping.storeError(error, operation: "connect to \(location)")
        if let error = error as? PSQLError, error.code == .connectionError, let underlying = error.underlying {
            mapped = StoreError(.connection, "connect to \(location): \(underlying)", isRetriable: true)
        }
        return mapped
    }
}

extension PostgresConnection {
    /// Rolls back the open transaction after a failure; a connection that cannot roll back is
    /// closed, so that it never goes back to the pool inside a transaction.
    func rollBackOrClose(logger: Logger) async {
        do {
            try await query("ROLLBACK", logger: logger)
        } catch {
            try? await close()
        }
    }
}

/// The first of an operation's result and its caller's cancellation, handed to the one waiter.
private final class FirstOutcome<T: Sendable>: Sendable {
    private let state = Mutex<(waiter: CheckedContinuation<T, any Error>?, outcome: Result<T, any Error>?)>((nil, nil))

    func wait(with continuation: CheckedContinuation<T, any Error>) {
        let ready = state.withLock { state -> Result<T, any Error>? in
            if let outcome = state.outcome { return outcome }
            state.waiter = continuation
            return nil
        }
        if let ready { continuation.resume(with: ready) }
    }

    /// Records the outcome unless one is already in; the later one is dropped.
    func finish(_ outcome: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: outcome)
    }
}
