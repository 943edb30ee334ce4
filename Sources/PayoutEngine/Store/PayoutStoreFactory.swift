public import Logging
public import PostgresNIO

/// Opens the store a URL names. The store is not migrated: call `migrate()` next.
///
/// - `sqlite:///absolute/path.db` (optionally `?synchronous=full|normal`, default `full`)
/// - `sqlite::memory:` (private in-memory database; tests)
/// - `postgres://user:password@host:port/database` or `postgresql://…`, optionally with
///   `?sslmode=disable|prefer|require|verify-full` (default `prefer`), `pool_size=N` (default 20)
///   and `connect_timeout=S` seconds (default 10). Opening connects once, so a wrong address,
///   password or database name fails here with a precise message.
///
/// The password never appears in logs or errors.
public enum PayoutStoreFactory {
    public static func open(url: String, logger: Logger) async throws(StoreError) -> any PayoutStore {
        switch try StoreLocation.parse(url) {
        case .sqliteMemory:
            return try await SQLitePayoutStore.open(path: nil, synchronous: .full, logger: logger)
        case .sqliteFile(let path, let synchronous):
            return try await SQLitePayoutStore.open(path: path, synchronous: synchronous, logger: logger)
        case .postgres(let location):
            return try await PostgresPayoutStore.open(location, logger: logger)
        }
    }

    /// The pragmas a file store's writer connection runs on opening (at the default
    /// `synchronous=full`), for a tool that writes the same file directly and must do so under the
    /// same settings: the bench's store ceiling.
    public static var sqliteWriterPragmas: [String] {
        ["PRAGMA synchronous = FULL"] + SQLitePayoutStore.writerPragmas
    }

    /// How the store would connect to the PostgreSQL database a `postgres://` URL names (host,
    /// credentials, TLS), for a tool that must talk to the same database directly: the bench's
    /// store ceiling.
    public static func postgresConnection(url: String) throws(StoreError) -> PostgresConnection.Configuration {
        guard case .postgres(let location) = try StoreLocation.parse(url) else {
            throw StoreError(.invalidURL, "not a postgres:// URL")
        }
        return try PostgresPayoutStore.connectionConfiguration(location)
    }

    /// Opens and migrates the store; a store that fails to migrate is closed before the error is
    /// thrown, so nothing is left open.
    public static func openMigrated(url: String, logger: Logger) async throws(StoreError) -> any PayoutStore {
        let store = try await open(url: url, logger: logger)
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        return store
    }
}
