/// One versioned schema change, written once per dialect. Both dialects describe the same logical
/// schema; they differ only in types (SQLite `INTEGER`, PostgreSQL `BIGINT`/`BOOLEAN`) and syntax.
///
/// A migration is a list of single statements because PostgreSQL's extended query protocol (the
/// only one postgres-nio speaks for bound queries) executes one statement per message.
struct StoreMigration: Sendable {
    /// Applied in increasing order; recorded in `schema_migrations(version, applied_at)`.
    var version: Int
    var name: String
    var sqlite: [String]
    var postgres: [String]
}

extension StoreMigration {
    /// The statement that creates the migration ledger itself (not a migration: it must exist
    /// before the applied versions can be read).
    static let sqliteLedger = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER NOT NULL PRIMARY KEY,
            applied_at INTEGER NOT NULL
        ) STRICT
        """

    static let postgresLedger = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER NOT NULL PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )
        """

    /// Which migrations to apply given the versions already recorded. Throws when the database was
    /// migrated by a newer build (rolling back the binary must not run it against a schema it does
    /// not know).
    static func pending(applied: Set<Int>, known: [StoreMigration]) throws(StoreError) -> [StoreMigration] {
        let latest = known.map(\.version).max() ?? 0
        if let unknown = applied.filter({ $0 > latest }).max() {
            throw StoreError(
                .migration,
                "database schema version \(unknown) is newer than this build knows (latest \(latest)); run a newer payout-worker"
            )
        }
        return known.sorted { $0.version < $1.version }.filter { !applied.contains($0.version) }
    }
}
