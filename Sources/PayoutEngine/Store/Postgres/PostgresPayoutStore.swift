import Logging
import PostgresNIO
import Synchronization

/// The shared store: PostgreSQL, for several worker processes over one database.
///
/// Isolation: READ COMMITTED plus explicit row locks, taken in one global order
/// (payout row, then wallet row) so transactions cannot deadlock on each other:
/// - `commit` locks its payout row (`FOR UPDATE`) before checking the lease, so the fence check
///   and the writes it guards are atomic against a concurrent claim or commit;
/// - `.hold` locks the wallet row (`FOR UPDATE`) before summing pending holds. Every write to a
///   wallet's holds or balance happens under that lock, and each READ COMMITTED statement takes a
///   fresh snapshot, so the sum seen after the lock is exact: two holds can never both be admitted
///   against the same available balance;
/// - `claimDue`/`claimOutbox` lock candidates with `FOR UPDATE SKIP LOCKED` and re-check the
///   predicate on the locked row version, so concurrent claimers never share a row;
/// - `accept` inserts with `ON CONFLICT DO NOTHING` (which waits for a concurrent inserter of the
///   same key) and re-enqueues duplicates under `FOR SHARE`, after any in-flight transition of the
///   payout, so a re-emitted event is never older than one already enqueued after it. Each batch
///   is processed in `reference_id` order, so overlapping batches lock in the same order.
/// No case needs SERIALIZABLE. Deadlocks and serialization failures (not expected, but possible
/// with foreign sessions) are retried a few times, as the whole transaction was rolled back.
final class PostgresPayoutStore: PayoutStore {
    private let client: PostgresClient
    /// Drives the pool; cancelling it shuts the pool down (`close()`).
    private let runner: Task<Void, Never>
    let logger: Logger
    private static let transactionAttempts = 5
    /// Key of the advisory lock serialising migrations across processes (ASCII "payoutmg").
    private static let migrationLockKey: Int64 = 0x7061_796F_7574_6D67

    private init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        self.runner = Task { await client.run() }
    }

    /// Connects once to fail fast with a precise error (the pool alone would retry in the background
    /// and only give up after a minute), then starts the pool.
    static func open(_ location: PostgresLocation, logger given: Logger) async throws(StoreError) -> PostgresPayoutStore {
        let logger = Self.driverLogger(given)
        var probe = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: try connectionTLS(location)
        )
        probe.options.connectTimeout = .seconds(Int64(location.connectTimeoutSeconds))
        do {
            let connection = try await PostgresConnection.connect(configuration: probe, id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw connectFailure(error, location)
        }

        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: clientTLS(location)
        )
        configuration.options.maximumConnections = location.poolSize
        configuration.options.connectTimeout = .seconds(location.connectTimeoutSeconds)
        // A worker's transactions never wait on anything but their own statements. One left open
        // by a process that stopped without closing its sockets would hold its row locks, and
        // every other worker with them, for good: a crashed worker's backtracer (which inherits
        // the sockets and can take minutes) did exactly that in a chaos soak. The server ends
        // such a session after this long; what it held is rolled back and claimed again.
        configuration.options.additionalStartupParameters = [("idle_in_transaction_session_timeout", Self.idleInTransactionTimeout)]
        logger.debug("opened PostgreSQL payout store", metadata: ["url": "\(location)"])
        return PostgresPayoutStore(client: PostgresClient(configuration: configuration, backgroundLogger: logger), logger: logger)
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
            // Held until commit: a second process migrating at the same time waits here, then
            // finds every version recorded and does nothing. Advisory locks are per database.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: StoreMigration.postgresLedger), logger: logger)
            var versions = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
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

    // MARK: - Intake

    func accept(_ items: [IntakeItem], now: Int64) async throws(StoreError) -> [IntakeOutcome] {
        guard !items.isEmpty else { return [] }
        try TransitionRules.checkIntake(items)
        if !items.contains(where: { if case .rejection = $0 { true } else { false } }) {
            return try await transaction("accept") { [self] connection in
                .commit(try await acceptCommands(items, now: now, on: connection))
            }
        }
        // With rejections (rare), one reference at a time, so a rejection and a command of the
        // same reference_id keep their batch order.
        // Lock order: by reference_id (stable, so one reference's items keep their batch order).
        let order = items.indices.sorted { (Self.referenceID(items[$0]), $0) < (Self.referenceID(items[$1]), $1) }
        return try await transaction("accept") { [self] connection in
            var outcomes = [IntakeOutcome](repeating: .rejected, count: items.count)
            for index in order {
                switch items[index] {
                case .command(let payout):
                    outcomes[index] = try await accept(payout, now: now, on: connection)
                case .rejection(let referenceID, let event):
                    outcomes[index] = try await reject(referenceID, event: event, now: now, on: connection)
                }
            }
            return .commit(outcomes)
        }
    }

    /// A batch of commands in a fixed number of round trips instead of one or two per command:
    /// 1. lock the batch's existing payouts (`FOR SHARE`, in reference_id order): waits for any
    ///    in-flight transition, so the sequence read is the newest, and none can commit after it
    ///    until this transaction does;
    /// 2. insert the unknown ones with their ACCEPTED event and outbox entry, from arrays
    ///    (`unnest`), in reference_id order; one that a concurrent intake inserted meanwhile is
    ///    skipped (`ON CONFLICT DO NOTHING` waits for that insert) and locked as in 1;
    /// 3. re-enqueue the latest event of every identical duplicate (a reference_id repeated in the
    ///    batch is a duplicate of its first occurrence), in one insert.
    private func acceptCommands(_ items: [IntakeItem], now: Int64, on connection: PostgresConnection) async throws -> [IntakeOutcome] {
        struct Known { var fingerprint: String; var sequence: Int; var status: String }
        let payouts: [NewPayout] = items.map { if case .command(let payout) = $0 { payout } else { preconditionFailure("commands only") } }
        var known: [String: Known] = [:]

        func lockExisting(_ references: [String]) async throws {
            guard !references.isEmpty else { return }
            let rows = try await connection.query("""
                SELECT reference_id, fingerprint, sequence, status FROM payouts
                WHERE reference_id = ANY(\(references)) ORDER BY reference_id FOR SHARE
                """, logger: logger)
            for try await (reference, fingerprint, sequence, status) in rows.decode((String, String, Int, String).self) {
                known[reference] = Known(fingerprint: fingerprint, sequence: sequence, status: status)
            }
        }
        try await lockExisting(Set(payouts.map(\.referenceID)).sorted())

        // First occurrence of each unknown reference_id, in reference_id order.
        var seen = Set<String>()
        let new = payouts.filter { known[$0.referenceID] == nil && seen.insert($0.referenceID).inserted }
            .sorted { $0.referenceID < $1.referenceID }
        var inserted = Set<String>()
        if !new.isEmpty {
            let events = new.map(\.acceptedEvent)
            let rows = try await connection.query("""
                WITH input AS (
                    SELECT * FROM unnest(\(new.map(\.referenceID))::text[], \(new.map(\.fingerprint))::text[],
                                         \(new.map(\.amountMinor))::int8[], \(new.map(\.currency))::text[],
                                         \(events.map(\.status))::text[], \(new.map(\.state))::text[],
                                         \(events.map { Int64($0.sequence) })::int8[], \(events.map(\.payload))::text[],
                                         \(events.map(\.occurredAt))::int8[])
                        AS i(reference_id, fingerprint, amount_minor, currency, status, state, sequence, payload, occurred_at)
                ), payout AS (
                    INSERT INTO payouts (\(unescaped: PostgresRecords.payoutColumns))
                    SELECT reference_id, fingerprint, amount_minor, currency, status, FALSE, NULL,
                           state, sequence, 0, \(now), NULL, NULL, \(now), \(now)
                    FROM input ORDER BY reference_id
                    ON CONFLICT (reference_id) DO NOTHING
                    RETURNING reference_id
                ), event AS (
                    INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at)
                    SELECT i.reference_id, i.sequence, i.status, i.payload, i.occurred_at
                    FROM input i JOIN payout p ON p.reference_id = i.reference_id
                    ORDER BY i.reference_id
                    RETURNING reference_id, sequence
                )
                INSERT INTO outbox (reference_id, sequence, enqueued_at)
                SELECT reference_id, sequence, \(now) FROM event ORDER BY reference_id
                RETURNING reference_id
                """, logger: logger)
            for try await reference in rows.decode(String.self) { inserted.insert(reference) }
            for payout in new where inserted.contains(payout.referenceID) {
                let event = payout.acceptedEvent
                known[payout.referenceID] = Known(fingerprint: payout.fingerprint, sequence: event.sequence, status: event.status)
            }
            // Inserted by a concurrent intake between 1 and 2: lock and read it as in 1.
            try await lockExisting(new.map(\.referenceID).filter { !inserted.contains($0) })
        }

        var outcomes: [IntakeOutcome] = []
        outcomes.reserveCapacity(payouts.count)
        var requeue: [(reference: String, sequence: Int)] = []
        for payout in payouts {
            if inserted.remove(payout.referenceID) != nil {
                outcomes.append(.accepted)
                continue
            }
            guard let existing = known[payout.referenceID] else {
                throw StoreError(.conflict, "payout \(payout.referenceID) conflicted on insert but cannot be read", isRetriable: true)
            }
            if existing.fingerprint == payout.fingerprint {
                requeue.append((payout.referenceID, existing.sequence))
                outcomes.append(.duplicate(latestStatus: existing.status))
            } else {
                outcomes.append(.conflict)
            }
        }
        if !requeue.isEmpty {
            try await connection.query("""
                INSERT INTO outbox (reference_id, sequence, enqueued_at)
                SELECT reference_id, sequence, \(now)
                FROM unnest(\(requeue.map(\.reference))::text[], \(requeue.map { Int64($0.sequence) })::int8[]) AS r(reference_id, sequence)
                """, logger: logger)
        }
        return outcomes
    }

    private static func referenceID(_ item: IntakeItem) -> String {
        switch item {
        case .command(let payout): payout.referenceID
        case .rejection(let referenceID, _): referenceID
        }
    }

    private func accept(_ payout: NewPayout, now: Int64, on connection: PostgresConnection) async throws -> IntakeOutcome {
        let ref = payout.referenceID
        let event = payout.acceptedEvent
        // One round trip for the common case: payout, its first event and the outbox entry.
        let inserted = try await connection.query("""
            WITH payout AS (
                INSERT INTO payouts (\(unescaped: PostgresRecords.payoutColumns))
                VALUES (\(ref), \(payout.fingerprint), \(payout.amountMinor), \(payout.currency), \(event.status), FALSE, NULL,
                        \(payout.state), \(event.sequence), 0, \(now), NULL, NULL, \(now), \(now))
                ON CONFLICT (reference_id) DO NOTHING
                RETURNING reference_id
            ), event AS (
                INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at)
                SELECT reference_id, \(event.sequence), \(event.status), \(event.payload), \(event.occurredAt) FROM payout
                RETURNING reference_id, sequence
            )
            INSERT INTO outbox (reference_id, sequence, enqueued_at) SELECT reference_id, sequence, \(now) FROM event
            RETURNING id
            """, logger: logger).collect()
        if !inserted.isEmpty { return .accepted }

        // Exists: re-enqueue the latest event if it is the same command. FOR SHARE waits for an
        // in-flight transition of this payout, so the sequence read is the newest one.
        let existing = try await connection.query("""
            WITH existing AS (
                SELECT reference_id, fingerprint, sequence, status FROM payouts WHERE reference_id = \(ref) FOR SHARE
            ), enqueued AS (
                INSERT INTO outbox (reference_id, sequence, enqueued_at)
                SELECT reference_id, sequence, \(now) FROM existing WHERE fingerprint = \(payout.fingerprint)
            )
            SELECT fingerprint, status FROM existing
            """, logger: logger).collect()
        guard let row = existing.first else {
            throw StoreError(.conflict, "payout \(ref) conflicted on insert but cannot be read", isRetriable: true)
        }
        let (fingerprint, status) = try row.decode((String, String).self)
        return fingerprint == payout.fingerprint ? .duplicate(latestStatus: status) : .conflict
    }

    private func reject(_ ref: String, event: NewEvent, now: Int64, on connection: PostgresConnection) async throws -> IntakeOutcome {
        // A rejection never touches an existing payout: same id, different content.
        let exists = try await connection.query("SELECT 1 FROM payouts WHERE reference_id = \(ref)", logger: logger).collect()
        if !exists.isEmpty { return .conflict }
        try await connection.query("""
            WITH event AS (
                INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at)
                VALUES (\(ref), 0, \(event.status), \(event.payload), \(event.occurredAt))
                ON CONFLICT (reference_id, sequence) DO NOTHING
            )
            INSERT INTO outbox (reference_id, sequence, enqueued_at) VALUES (\(ref), 0, \(now))
            """, logger: logger)
        return .rejected
    }

    // MARK: - Leases

    func claimDue(owner: String, limit: Int, leaseMilliseconds: Int64, now: Int64) async throws(StoreError) -> [StoredPayout] {
        guard limit > 0 else { return [] }
        try TransitionRules.checkLease(leaseMilliseconds, "payout")
        let expires = TransitionRules.deadline(now, plus: leaseMilliseconds)
        let claimed = try await transaction("claimDue") { [self] connection in
            // MATERIALIZED: the locking subquery runs exactly once (never re-planned into a join
            // that could lock more rows than it returns).
            let rows = try await connection.query("""
                WITH due AS MATERIALIZED (
                    SELECT reference_id FROM payouts
                    WHERE NOT is_final AND next_attempt_at <= \(now) AND (lease_expires_at IS NULL OR lease_expires_at <= \(now))
                    ORDER BY next_attempt_at, reference_id
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE payouts SET lease_owner = \(owner), lease_expires_at = \(expires)
                FROM due WHERE payouts.reference_id = due.reference_id
                RETURNING \(unescaped: Self.qualified(PostgresRecords.payoutColumns, "payouts"))
                """, logger: logger).collect()
            return .commit(try rows.map(PostgresRecords.payout))
        }
        return claimed.sorted { ($0.nextAttemptAt, $0.referenceID) < ($1.nextAttemptAt, $1.referenceID) }
    }

    func releaseLease(referenceID: String, owner: String) async throws(StoreError) {
        try await transaction("releaseLease") { [self] connection in
            try await connection.query("""
                UPDATE payouts SET lease_owner = NULL, lease_expires_at = NULL WHERE reference_id = \(referenceID) AND lease_owner = \(owner)
                """, logger: logger)
            return .commit(())
        }
    }

    // MARK: - Transitions

    func commit(_ transition: PayoutTransition, now: Int64) async throws(StoreError) -> TransitionResult {
        try TransitionRules.checkLedger(transition)
        if let renew = transition.renewLeaseMilliseconds { try TransitionRules.checkLease(renew, "renewed") }
        return try await transaction("commit \(transition.referenceID)") { [self] connection in
            let ref = transition.referenceID
            let current = try await connection.query(
                "SELECT sequence, lease_owner, lease_expires_at FROM payouts WHERE reference_id = \(ref) FOR UPDATE", logger: logger
            ).collect()
            guard let row = current.first else { return .rollback(.leaseLost) }
            let (storedSequence, leaseOwner, leaseExpires) = try row.decode((Int, String?, Int64?).self)
            guard leaseOwner == transition.leaseOwner, let leaseExpires, leaseExpires > now else { return .rollback(.leaseLost) }
            try TransitionRules.checkEvents(transition, storedSequence: storedSequence)

            if let refusal = try await applyLedger(transition, now: now, on: connection) {
                return .rollback(refusal)
            }

            for event in transition.events {
                try await connection.query("""
                    WITH event AS (
                        INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at)
                        VALUES (\(ref), \(event.sequence), \(event.status), \(event.payload), \(event.occurredAt))
                        RETURNING reference_id, sequence
                    )
                    INSERT INTO outbox (reference_id, sequence, enqueued_at) SELECT reference_id, sequence, \(now) FROM event
                    """, logger: logger)
            }

            let sequence = transition.events.last?.sequence ?? storedSequence
            let leaseUntil = transition.renewLeaseMilliseconds.map { TransitionRules.deadline(now, plus: $0) }
            let newOwner = leaseUntil == nil ? nil : transition.leaseOwner
            let updated = try await connection.query("""
                UPDATE payouts SET state = \(transition.state), status = \(transition.status), is_final = \(transition.isFinal),
                    reason_code = \(transition.reasonCode), sequence = \(sequence),
                    attempts = attempts + \(transition.incrementAttempts ? 1 : 0), next_attempt_at = \(transition.nextAttemptAt),
                    lease_owner = \(newOwner), lease_expires_at = \(leaseUntil), updated_at = \(now)
                WHERE reference_id = \(ref)
                RETURNING \(unescaped: PostgresRecords.payoutColumns)
                """, logger: logger).collect()
            guard let payout = updated.first else { throw StoreError(.corrupt, "payout \(ref) vanished during its transition") }
            return .commit(.committed(try PostgresRecords.payout(payout)))
        }
    }

    /// Applies the ledger operation; returns the refusal to report (and roll back), if any.
    private func applyLedger(_ transition: PayoutTransition, now: Int64, on connection: PostgresConnection) async throws -> TransitionResult? {
        let ref = transition.referenceID
        switch transition.ledger {
        case .none:
            return nil
        case .hold(let currency, let amount):
            let wallet = try await connection.query(
                "SELECT wallet_id, balance_minor FROM wallets WHERE currency = \(currency) FOR UPDATE", logger: logger
            ).collect()
            guard let walletRow = wallet.first else { return .walletUnknown }
            let (walletID, balance) = try walletRow.decode((String, Int64).self)
            if let existing = try await connection.query("SELECT state FROM holds WHERE reference_id = \(ref)", logger: logger).collect().first {
                throw TransitionRules.alreadyHeld(ref, state: try existing.decode(String.self))
            }
            // A fresh snapshot taken after the wallet lock: includes every hold committed before it.
            let heldRows = try await connection.query("""
                SELECT COALESCE(SUM(amount_minor), 0)::BIGINT FROM holds WHERE wallet_id = \(walletID) AND state = 'pending'
                """, logger: logger).collect()
            let held = try heldRows.first?.decode(Int64.self) ?? 0
            let available = balance - held
            guard available >= amount else { return .insufficientFunds(availableMinor: available) }
            try await connection.query("""
                INSERT INTO holds (reference_id, wallet_id, amount_minor, state, settled_minor, created_at, updated_at)
                VALUES (\(ref), \(walletID), \(amount), 'pending', NULL, \(now), \(now))
                """, logger: logger)
            return nil
        case .post(let debited):
            let hold = try await connection.query(
                "SELECT wallet_id, amount_minor, state FROM holds WHERE reference_id = \(ref)", logger: logger
            ).collect().first.map { try $0.decode((String, Int64, String).self) }
            guard let hold, hold.2 == StoredHold.State.pending.rawValue else {
                throw TransitionRules.noPendingHold(ref, operation: "post", state: hold?.2)
            }
            if debited > hold.1 {
                // The provider's word is the truth about the wallet; record it, loudly.
                logger.warning("posted debit exceeds the hold", metadata: ["reference_id": "\(ref)", "held_minor": "\(hold.1)", "debited_minor": "\(debited)"])
            }
            try await connection.query(
                "UPDATE holds SET state = 'posted', settled_minor = \(debited), updated_at = \(now) WHERE reference_id = \(ref)", logger: logger
            )
            try await connection.query(
                "UPDATE wallets SET balance_minor = balance_minor - \(debited), updated_at = \(now) WHERE wallet_id = \(hold.0)", logger: logger
            )
            return nil
        case .void:
            let state = try await connection.query("SELECT state FROM holds WHERE reference_id = \(ref)", logger: logger)
                .collect().first.map { try $0.decode(String.self) }
            guard state == StoredHold.State.pending.rawValue else {
                throw TransitionRules.noPendingHold(ref, operation: "void", state: state)
            }
            try await connection.query("UPDATE holds SET state = 'voided', updated_at = \(now) WHERE reference_id = \(ref)", logger: logger)
            return nil
        }
    }

    // MARK: - Outbox

    func claimOutbox(owner: String, limit: Int, leaseMilliseconds: Int64, now: Int64) async throws(StoreError) -> [OutboxEntry] {
        guard limit > 0 else { return [] }
        try TransitionRules.checkLease(leaseMilliseconds, "outbox")
        let expires = TransitionRules.deadline(now, plus: leaseMilliseconds)
        return try await transaction("claimOutbox") { [self] connection in
            // Eligible: unsent, unclaimed (or claim expired), and the oldest unsent entry of its
            // reference_id. An older entry locked by another relay is skipped, and the newer one
            // is not the oldest: one reference's events are never in flight out of order.
            let rows = try await connection.query("""
                WITH picked AS MATERIALIZED (
                    SELECT o.id FROM outbox o
                    WHERE o.sent_at IS NULL
                      AND (o.claim_expires_at IS NULL OR o.claim_expires_at <= \(now))
                      AND o.id = (SELECT min(o2.id) FROM outbox o2 WHERE o2.reference_id = o.reference_id AND o2.sent_at IS NULL)
                    ORDER BY o.id
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                ), claimed AS (
                    UPDATE outbox SET claimed_by = \(owner), claim_expires_at = \(expires)
                    FROM picked WHERE outbox.id = picked.id
                    RETURNING outbox.id, outbox.reference_id, outbox.sequence
                )
                SELECT c.id, \(unescaped: Self.qualified(PostgresRecords.eventColumns, "e"))
                FROM claimed c JOIN payout_events e ON e.reference_id = c.reference_id AND e.sequence = c.sequence
                ORDER BY c.id
                """, logger: logger).collect()
            return .commit(try rows.map { row in
                let (id, ref, sequence, status, payload, occurredAt) = try row.decode((Int64, String, Int, String, String, Int64).self)
                return OutboxEntry(outboxID: id, event: StoredEvent(referenceID: ref, sequence: sequence, status: status, payload: payload, occurredAt: occurredAt))
            })
        }
    }

    func markSent(_ outboxIDs: [Int64], now: Int64) async throws(StoreError) {
        guard !outboxIDs.isEmpty else { return }
        try await transaction("markSent") { [self] connection in
            try await connection.query(
                "UPDATE outbox SET sent_at = \(now) WHERE id = ANY(\(outboxIDs)) AND sent_at IS NULL", logger: logger
            )
            return .commit(())
        }
    }

    func outboxBacklog() async throws(StoreError) -> Int {
        try await read("outboxBacklog") { [self] connection in
            try await connection.query("SELECT count(*) FROM outbox WHERE sent_at IS NULL", logger: logger).collect().first?.decode(Int.self) ?? 0
        }
    }

    // MARK: - Wallets

    func setWallet(id: String, currency: String, balanceMinor: Int64, now: Int64) async throws(StoreError) {
        try await transaction("setWallet \(id)") { [self] connection in
            let existing = try await connection.query("SELECT currency FROM wallets WHERE wallet_id = \(id) FOR UPDATE", logger: logger)
                .collect().first.map { try $0.decode(String.self) }
            if let existing, existing != currency {
                throw StoreError(.conflict, "wallet \(id) holds \(existing); it cannot be re-declared as \(currency)")
            }
            let other = try await connection.query(
                "SELECT wallet_id FROM wallets WHERE currency = \(currency) AND wallet_id <> \(id)", logger: logger
            ).collect().first.map { try $0.decode(String.self) }
            if let other {
                throw StoreError(.conflict, "currency \(currency) already belongs to wallet \(other); one wallet per currency")
            }
            try await connection.query("""
                INSERT INTO wallets (wallet_id, currency, balance_minor, updated_at) VALUES (\(id), \(currency), \(balanceMinor), \(now))
                ON CONFLICT (wallet_id) DO UPDATE SET balance_minor = excluded.balance_minor, updated_at = excluded.updated_at
                """, logger: logger)
            return .commit(())
        }
    }

    func wallets() async throws(StoreError) -> [WalletBalance] {
        try await read("wallets") { [self] connection in
            try await connection.query("""
                SELECT w.wallet_id, w.currency, w.balance_minor,
                    COALESCE((SELECT SUM(h.amount_minor) FROM holds h WHERE h.wallet_id = w.wallet_id AND h.state = 'pending'), 0)::BIGINT
                FROM wallets w ORDER BY w.currency
                """, logger: logger).collect().map { row in
                let (id, currency, balance, held) = try row.decode((String, String, Int64, Int64).self)
                return WalletBalance(walletID: id, currency: currency, balanceMinor: balance, heldMinor: held)
            }
        }
    }

    // MARK: - Queries

    func payout(referenceID: String) async throws(StoreError) -> StoredPayout? {
        try await read("payout") { [self] connection in
            try await connection.query(
                "SELECT \(unescaped: PostgresRecords.payoutColumns) FROM payouts WHERE reference_id = \(referenceID)", logger: logger
            ).collect().first.map(PostgresRecords.payout)
        }
    }

    func events(referenceID: String) async throws(StoreError) -> [StoredEvent] {
        try await read("events") { [self] connection in
            try await connection.query("""
                SELECT \(unescaped: PostgresRecords.eventColumns) FROM payout_events WHERE reference_id = \(referenceID) ORDER BY sequence
                """, logger: logger).collect().map(PostgresRecords.event)
        }
    }

    func hold(referenceID: String) async throws(StoreError) -> StoredHold? {
        try await read("hold") { [self] connection in
            try await connection.query("""
                SELECT reference_id, wallet_id, amount_minor, state, settled_minor FROM holds WHERE reference_id = \(referenceID)
                """, logger: logger).collect().first.map(PostgresRecords.hold)
        }
    }

    func countsByStatus() async throws(StoreError) -> [String: Int] {
        try await read("countsByStatus") { [self] connection in
            var counts: [String: Int] = [:]
            for row in try await connection.query("SELECT status, count(*) FROM payouts GROUP BY status", logger: logger).collect() {
                let (status, count) = try row.decode((String, Int).self)
                counts[status] = count
            }
            return counts
        }
    }

    // MARK: - Lifecycle

    func close() async {
        runner.cancel()
        await runner.value
    }

    deinit {
        runner.cancel()
    }

    // MARK: - Access

    /// Runs `body` in a READ COMMITTED transaction on a pooled connection. Rolled-back conflicts
    /// (deadlock, serialization failure) run the whole body again; any other error is returned.
    /// A failure while committing is reported as a connection error: the outcome is unknown, so
    /// the caller must re-read before retrying.
    func transaction<T: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> TransactionDecision<T>
    ) async throws(StoreError) -> T {
        var attempt = 1
        while true {
            do {
                return try await Self.abandoningOnCancellation { [client, logger] in
                    try await client.withConnection { connection in
                        try await Self.inTransaction(connection, logger: logger, body)
                    }
                }
            } catch {
                if attempt < Self.transactionAttempts, let state = PostgresErrorMapping.sqlState(of: error),
                   PostgresErrorMapping.retryTransaction.contains(state)
                {
                    attempt += 1
                    logger.debug("retrying PostgreSQL transaction", metadata: ["operation": "\(operation)", "sqlstate": "\(state)"])
                    continue
                }
                throw PostgresErrorMapping.storeError(error, operation: operation)
            }
        }
    }

    private static func inTransaction<T: Sendable>(
        _ connection: PostgresConnection, logger: Logger, _ body: @Sendable (PostgresConnection) async throws -> TransactionDecision<T>
    ) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        let decision: TransactionDecision<T>
        do {
            decision = try await body(connection)
        } catch {
            await rollback(connection, logger: logger)
            throw error
        }
        switch decision {
        case .commit(let value):
            try await connection.query("COMMIT", logger: logger)
            return value
        case .rollback(let value):
            await rollback(connection, logger: logger)
            return value
        }
    }

    private static func rollback(_ connection: PostgresConnection, logger: Logger) async {
        do {
            try await connection.query("ROLLBACK", logger: logger)
        } catch {
            // Its transaction state is unknown: it must not go back to the pool.
            try? await connection.close()
        }
    }

    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        do {
            return try await Self.abandoningOnCancellation { [client] in
                try await client.withConnection { connection in try await body(connection) }
            }
        } catch {
            throw PostgresErrorMapping.storeError(error, operation: operation)
        }
    }

    /// Runs `operation` on a task of its own and stops waiting for it once the caller is cancelled.
    ///
    /// postgres-nio 1.33.2 can leave a query unanswered for ever, cancellation or not: a query
    /// written to a connection the server has just closed (PostgreSQL stopped, the backend
    /// terminated) is neither answered nor failed, and the ROLLBACK that follows a failed statement
    /// on such a connection waits the same way. A stopping worker whose store had gone sat there
    /// past its shutdown bound (found with `payout-worker run` against a killed PostgreSQL: the
    /// engine's in-flight commits never returned after the drain was cancelled). The abandoned
    /// operation keeps its pooled connection until the pool shuts down; its outcome is unknown,
    /// as for any failed commit, and the recovery point is the last one that committed.
    private static func abandoningOnCancellation<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
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

    private static func qualified(_ columns: String, _ table: String) -> String {
        columns.split(separator: ",").map { "\(table).\($0.trimmingCharacters(in: .whitespaces))" }.joined(separator: ", ")
    }

    // MARK: - Connection setup

    private static func connectionTLS(_ location: PostgresLocation) throws(StoreError) -> PostgresConnection.Configuration.TLS {
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
