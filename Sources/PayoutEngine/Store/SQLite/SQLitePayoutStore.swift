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
    private let logger: Logger
    /// The writer connection's page cache, in KiB (32 MiB).
    static let writerCacheKiB = 32_768
    /// Reference ids looked up per statement at intake (SQLite allows 32,766 parameters).
    private static let lookupChunk = 500

    private init(writer: any DatabaseWriter, logger: Logger) {
        self.database = Mutex(writer)
        self.logger = logger
    }

    /// Opens (creating if needed) the database file, or a private in-memory database when `path` is nil.
    static func open(path: String?, synchronous: SQLiteSynchronous, logger: Logger) async throws(StoreError) -> SQLitePayoutStore {
        var configuration = Configuration()
        configuration.label = "payout-store"
        configuration.foreignKeysEnabled = true
        // Another process holding the write lock (a second worker, a migration) is waited for;
        // only past this delay does a write fail, with a retriable error.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue.uppercased())")
            if !db.configuration.readonly {
                // The writer's page cache. An intake batch touches a few random leaf pages per
                // record in each reference_id index (UUIDs); with SQLite's default 2 MiB those were
                // evicted and read back within the same batch. Grows only as pages are used.
                try db.execute(sql: "PRAGMA cache_size = -\(Self.writerCacheKiB)")
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
            logger.debug("opened SQLite payout store", metadata: ["path": "\(path ?? ":memory:")", "synchronous": "\(synchronous.rawValue)"])
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

    // MARK: - Intake

    func accept(_ items: [IntakeItem], now: Int64) async throws(StoreError) -> [IntakeOutcome] {
        guard !items.isEmpty else { return [] }
        try TransitionRules.checkIntake(items)
        return try await transaction("accept") { db in
            let insertPayout = try db.cachedStatement(sql: """
                INSERT INTO payouts (\(SQLiteRecords.payoutColumns))
                VALUES (?, ?, ?, ?, ?, 0, NULL, ?, ?, 0, ?, NULL, NULL, ?, ?)
                ON CONFLICT (reference_id) DO NOTHING
                """)
            let insertEvent = try db.cachedStatement(sql: """
                INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at) VALUES (?, ?, ?, ?, ?)
                """)
            let insertRejection = try db.cachedStatement(sql: """
                INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (reference_id, sequence) DO NOTHING
                """)
            let enqueue = try db.cachedStatement(sql: "INSERT INTO outbox (reference_id, sequence, enqueued_at) VALUES (?, ?, ?)")
            // One lookup per chunk of the batch instead of a failed insert plus a select per
            // duplicate: a replay storm is mostly reads. Kept up to date as the batch inserts, so a
            // reference_id repeated within the batch is a duplicate of its first occurrence.
            struct Known { var fingerprint: String; var sequence: Int; var status: String }
            var known: [String: Known] = [:]
            var references = Set<String>()
            for item in items {
                switch item {
                case .command(let payout): references.insert(payout.referenceID)
                case .rejection(let referenceID, _): references.insert(referenceID)
                }
            }
            let sortedReferences = references.sorted()
            for start in stride(from: 0, to: sortedReferences.count, by: Self.lookupChunk) {
                let chunk = Array(sortedReferences[start..<min(start + Self.lookupChunk, sortedReferences.count)])
                // Not cached: the last chunk's size varies from batch to batch.
                let lookup = try db.makeStatement(sql: """
                    SELECT reference_id, fingerprint, sequence, status FROM payouts
                    WHERE reference_id IN (\(databaseQuestionMarks(count: chunk.count)))
                    """)
                let rows = try Row.fetchCursor(lookup, arguments: StatementArguments(chunk))
                while let row = try rows.next() {
                    known[row[0]] = Known(fingerprint: row[1], sequence: row[2], status: row[3])
                }
            }

            var outcomes: [IntakeOutcome] = []
            outcomes.reserveCapacity(items.count)
            for item in items {
                switch item {
                case .command(let payout):
                    if let existing = known[payout.referenceID] {
                        if existing.fingerprint == payout.fingerprint {
                            try enqueue.execute(arguments: [payout.referenceID, existing.sequence, now])
                            outcomes.append(.duplicate(latestStatus: existing.status))
                        } else {
                            outcomes.append(.conflict)
                        }
                        continue
                    }
                    let event = payout.acceptedEvent
                    try insertPayout.execute(arguments: [
                        payout.referenceID, payout.fingerprint, payout.amountMinor, payout.currency, event.status,
                        payout.state, event.sequence, now, now, now,
                    ])
                    guard db.changesCount == 1 else {
                        // The lookup ran in this same write transaction: nobody can have inserted it since.
                        throw StoreError(.corrupt, "payout \(payout.referenceID) conflicts on insert but was not found")
                    }
                    try insertEvent.execute(arguments: [payout.referenceID, event.sequence, event.status, event.payload, event.occurredAt])
                    try enqueue.execute(arguments: [payout.referenceID, event.sequence, now])
                    known[payout.referenceID] = Known(fingerprint: payout.fingerprint, sequence: event.sequence, status: event.status)
                    outcomes.append(.accepted)
                case .rejection(let referenceID, let event):
                    // A rejection never touches an existing payout: same id, different content.
                    if known[referenceID] != nil {
                        outcomes.append(.conflict)
                        continue
                    }
                    try insertRejection.execute(arguments: [referenceID, 0, event.status, event.payload, event.occurredAt])
                    try enqueue.execute(arguments: [referenceID, 0, now])
                    outcomes.append(.rejected)
                }
            }
            return .commit(outcomes)
        }
    }

    // MARK: - Leases
    //
    // Hot statements use `cachedStatement`: compiling one runs GRDB's authorizer over every column
    // it reads, which was 6.5% of an end-to-end run's CPU when they were compiled per call.

    func claimDue(owner: String, limit: Int, leaseMilliseconds: Int64, now: Int64) async throws(StoreError) -> [StoredPayout] {
        guard limit > 0 else { return [] }
        try TransitionRules.checkLease(leaseMilliseconds, "payout")
        let expires = TransitionRules.deadline(now, plus: leaseMilliseconds)
        let claimed = try await transaction("claimDue") { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                UPDATE payouts SET lease_owner = ?, lease_expires_at = ?
                WHERE reference_id IN (
                    SELECT reference_id FROM payouts
                    WHERE is_final = 0 AND next_attempt_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
                    ORDER BY next_attempt_at, reference_id
                    LIMIT ?
                )
                RETURNING \(SQLiteRecords.payoutColumns)
                """), arguments: [owner, expires, now, now, limit])
            return .commit(rows.map(SQLiteRecords.payout))
        }
        // RETURNING does not promise an order.
        return claimed.sorted { ($0.nextAttemptAt, $0.referenceID) < ($1.nextAttemptAt, $1.referenceID) }
    }

    func releaseLease(referenceID: String, owner: String) async throws(StoreError) {
        try await transaction("releaseLease") { db in
            try db.cachedStatement(sql: "UPDATE payouts SET lease_owner = NULL, lease_expires_at = NULL WHERE reference_id = ? AND lease_owner = ?")
                .execute(arguments: [referenceID, owner])
            return .commit(())
        }
    }

    // MARK: - Transitions

    func commit(_ transition: PayoutTransition, now: Int64) async throws(StoreError) -> TransitionResult {
        try TransitionRules.checkLedger(transition)
        if let renew = transition.renewLeaseMilliseconds { try TransitionRules.checkLease(renew, "renewed") }
        let logger = self.logger
        return try await transaction("commit \(transition.referenceID)") { db in
            let ref = transition.referenceID
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT sequence, lease_owner, lease_expires_at FROM payouts WHERE reference_id = ?"), arguments: [ref]
                ),
                (row[1] as String?) == transition.leaseOwner,
                let expires = row[2] as Int64?, expires > now
            else {
                return .rollback(.leaseLost)
            }
            try TransitionRules.checkEvents(transition, storedSequence: row[0])

            switch transition.ledger {
            case .none:
                break
            case .hold(let currency, let amount):
                guard let wallet = try Row.fetchOne(db.cachedStatement(sql: "SELECT wallet_id, balance_minor FROM wallets WHERE currency = ?"), arguments: [currency]) else {
                    return .rollback(.walletUnknown)
                }
                if let state = try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM holds WHERE reference_id = ?"), arguments: [ref]) {
                    throw TransitionRules.alreadyHeld(ref, state: state)
                }
                let walletID: String = wallet[0]
                let balance: Int64 = wallet[1]
                let held = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT COALESCE(SUM(amount_minor), 0) FROM holds WHERE wallet_id = ? AND state = 'pending'"),
                    arguments: [walletID]
                ) ?? 0
                let available = balance - held
                guard available >= amount else { return .rollback(.insufficientFunds(availableMinor: available)) }
                try db.cachedStatement(sql: """
                    INSERT INTO holds (reference_id, wallet_id, amount_minor, state, settled_minor, created_at, updated_at)
                    VALUES (?, ?, ?, 'pending', NULL, ?, ?)
                    """).execute(arguments: [ref, walletID, amount, now, now])
            case .post(let debited):
                let hold = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT wallet_id, amount_minor, state FROM holds WHERE reference_id = ?"), arguments: [ref])
                guard let hold, (hold[2] as String) == StoredHold.State.pending.rawValue else {
                    throw TransitionRules.noPendingHold(ref, operation: "post", state: hold?[2])
                }
                let amount: Int64 = hold[1]
                if debited > amount {
                    // The provider's word is the truth about the wallet; record it, loudly.
                    logger.warning("posted debit exceeds the hold", metadata: ["reference_id": "\(ref)", "held_minor": "\(amount)", "debited_minor": "\(debited)"])
                }
                try db.cachedStatement(sql: "UPDATE holds SET state = 'posted', settled_minor = ?, updated_at = ? WHERE reference_id = ?")
                    .execute(arguments: [debited, now, ref])
                try db.cachedStatement(sql: "UPDATE wallets SET balance_minor = balance_minor - ?, updated_at = ? WHERE wallet_id = ?")
                    .execute(arguments: [debited, now, hold[0] as String])
            case .void:
                let state = try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM holds WHERE reference_id = ?"), arguments: [ref])
                guard state == StoredHold.State.pending.rawValue else {
                    throw TransitionRules.noPendingHold(ref, operation: "void", state: state)
                }
                try db.cachedStatement(sql: "UPDATE holds SET state = 'voided', updated_at = ? WHERE reference_id = ?").execute(arguments: [now, ref])
            }

            let insertEvent = try db.cachedStatement(sql: """
                INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at) VALUES (?, ?, ?, ?, ?)
                """)
            let enqueue = try db.cachedStatement(sql: "INSERT INTO outbox (reference_id, sequence, enqueued_at) VALUES (?, ?, ?)")
            for event in transition.events {
                try insertEvent.execute(arguments: [ref, event.sequence, event.status, event.payload, event.occurredAt])
                try enqueue.execute(arguments: [ref, event.sequence, now])
            }

            let sequence = transition.events.last?.sequence ?? (row[0] as Int)
            let leaseExpires = transition.renewLeaseMilliseconds.map { TransitionRules.deadline(now, plus: $0) }
            guard
                let updated = try Row.fetchOne(db.cachedStatement(sql: """
                    UPDATE payouts SET state = ?, status = ?, is_final = ?, reason_code = ?, sequence = ?,
                        attempts = attempts + ?, next_attempt_at = ?, lease_owner = ?, lease_expires_at = ?, updated_at = ?
                    WHERE reference_id = ?
                    RETURNING \(SQLiteRecords.payoutColumns)
                    """), arguments: [
                        transition.state, transition.status, transition.isFinal, transition.reasonCode, sequence,
                        transition.incrementAttempts ? 1 : 0, transition.nextAttemptAt,
                        leaseExpires == nil ? nil : transition.leaseOwner, leaseExpires, now, ref,
                    ])
            else {
                throw StoreError(.corrupt, "payout \(ref) vanished during its transition")
            }
            return .commit(.committed(SQLiteRecords.payout(updated)))
        }
    }

    // MARK: - Outbox

    func claimOutbox(owner: String, limit: Int, leaseMilliseconds: Int64, now: Int64) async throws(StoreError) -> [OutboxEntry] {
        guard limit > 0 else { return [] }
        try TransitionRules.checkLease(leaseMilliseconds, "outbox")
        let expires = TransitionRules.deadline(now, plus: leaseMilliseconds)
        return try await transaction("claimOutbox") { db in
            // Eligible: unsent, unclaimed (or claim expired), and the oldest unsent entry of its
            // reference_id — so a reference's second event waits until its first is marked sent.
            let claimed = try Row.fetchAll(db.cachedStatement(sql: """
                UPDATE outbox SET claimed_by = ?, claim_expires_at = ?
                WHERE id IN (
                    SELECT o.id FROM outbox o
                    WHERE o.sent_at IS NULL
                      AND (o.claim_expires_at IS NULL OR o.claim_expires_at <= ?)
                      AND o.id = (SELECT min(o2.id) FROM outbox o2 WHERE o2.reference_id = o.reference_id AND o2.sent_at IS NULL)
                    ORDER BY o.id
                    LIMIT ?
                )
                RETURNING id, reference_id, sequence
                """), arguments: [owner, expires, now, limit])
            let event = try db.cachedStatement(sql: """
                SELECT \(SQLiteRecords.eventColumns) FROM payout_events WHERE reference_id = ? AND sequence = ?
                """)
            var entries: [OutboxEntry] = []
            entries.reserveCapacity(claimed.count)
            for row in claimed {
                let ref: String = row[1]
                let sequence: Int = row[2]
                guard let eventRow = try Row.fetchOne(event, arguments: [ref, sequence]) else {
                    throw StoreError(.corrupt, "outbox entry \(row[0] as Int64) points at missing event \(ref):\(sequence)")
                }
                entries.append(OutboxEntry(outboxID: row[0], event: SQLiteRecords.event(eventRow)))
            }
            return .commit(entries.sorted { $0.outboxID < $1.outboxID })
        }
    }

    func markSent(_ outboxIDs: [Int64], now: Int64) async throws(StoreError) {
        guard !outboxIDs.isEmpty else { return }
        try await transaction("markSent") { db in
            let statement = try db.cachedStatement(sql: "UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL")
            for id in outboxIDs {
                try statement.execute(arguments: [now, id])
            }
            return .commit(())
        }
    }

    func outboxBacklog() async throws(StoreError) -> Int {
        try await read("outboxBacklog") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE sent_at IS NULL") ?? 0
        }
    }

    // MARK: - Wallets

    func setWallet(id: String, currency: String, balanceMinor: Int64, now: Int64) async throws(StoreError) {
        try await transaction("setWallet \(id)") { db in
            if let existing = try String.fetchOne(db, sql: "SELECT currency FROM wallets WHERE wallet_id = ?", arguments: [id]), existing != currency {
                throw StoreError(.conflict, "wallet \(id) holds \(existing); it cannot be re-declared as \(currency)")
            }
            if let other = try String.fetchOne(db, sql: "SELECT wallet_id FROM wallets WHERE currency = ? AND wallet_id <> ?", arguments: [currency, id]) {
                throw StoreError(.conflict, "currency \(currency) already belongs to wallet \(other); one wallet per currency")
            }
            try db.execute(sql: """
                INSERT INTO wallets (wallet_id, currency, balance_minor, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (wallet_id) DO UPDATE SET balance_minor = excluded.balance_minor, updated_at = excluded.updated_at
                """, arguments: [id, currency, balanceMinor, now])
            return .commit(())
        }
    }

    func wallets() async throws(StoreError) -> [WalletBalance] {
        try await read("wallets") { db in
            try Row.fetchAll(db, sql: """
                SELECT w.wallet_id, w.currency, w.balance_minor,
                    COALESCE((SELECT SUM(h.amount_minor) FROM holds h WHERE h.wallet_id = w.wallet_id AND h.state = 'pending'), 0)
                FROM wallets w ORDER BY w.currency
                """).map { WalletBalance(walletID: $0[0], currency: $0[1], balanceMinor: $0[2], heldMinor: $0[3]) }
        }
    }

    // MARK: - Queries

    func payout(referenceID: String) async throws(StoreError) -> StoredPayout? {
        try await read("payout") { db in
            try Row.fetchOne(db, sql: "SELECT \(SQLiteRecords.payoutColumns) FROM payouts WHERE reference_id = ?", arguments: [referenceID])
                .map(SQLiteRecords.payout)
        }
    }

    func events(referenceID: String) async throws(StoreError) -> [StoredEvent] {
        try await read("events") { db in
            try Row.fetchAll(
                db, sql: "SELECT \(SQLiteRecords.eventColumns) FROM payout_events WHERE reference_id = ? ORDER BY sequence", arguments: [referenceID]
            ).map { SQLiteRecords.event($0) }
        }
    }

    func hold(referenceID: String) async throws(StoreError) -> StoredHold? {
        try await read("hold") { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT reference_id, wallet_id, amount_minor, state, settled_minor FROM holds WHERE reference_id = ?
                """, arguments: [referenceID])
            else { return nil }
            return try SQLiteRecords.hold(row)
        }
    }

    func countsByStatus() async throws(StoreError) -> [String: Int] {
        try await read("countsByStatus") { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) FROM payouts GROUP BY status") {
                counts[row[0]] = row[1]
            }
            return counts
        }
    }

    // MARK: - Lifecycle

    func close() async {
        guard let writer = database.withLock({ state -> (any DatabaseWriter)? in defer { state = nil }; return state }) else { return }
        let logger = self.logger
        // Closing waits for in-flight accesses and may checkpoint the WAL: blocking work.
        await offCooperativePool {
            do { try writer.close() } catch { logger.warning("closing SQLite payout store failed", metadata: ["error": "\(error)"]) }
        }
    }

    // MARK: - Access

    private func currentWriter(_ operation: String) throws(StoreError) -> any DatabaseWriter {
        guard let writer = database.withLock({ $0 }) else { throw StoreError(.connection, "\(operation): the store is closed") }
        return writer
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so a
    /// transaction never upgrades from reader to writer midway (which could fail with SQLITE_BUSY
    /// after having read stale data).
    func transaction<T: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Database) throws -> TransactionDecision<T>
    ) async throws(StoreError) -> T {
        let writer = try currentWriter(operation)
        do {
            return try await writer.writeWithoutTransaction { db in
                var value: T?
                try db.inTransaction(.immediate) {
                    switch try body(db) {
                    case .commit(let result):
                        value = result
                        return .commit
                    case .rollback(let result):
                        value = result
                        return .rollback
                    }
                }
                guard let value else { throw StoreError(.other, "\(operation): transaction produced no result") }
                return value
            }
        } catch {
            throw SQLiteErrorMapping.storeError(error, operation: operation)
        }
    }

    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
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
