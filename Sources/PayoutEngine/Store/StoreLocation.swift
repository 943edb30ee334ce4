import Foundation

/// Where a store lives, parsed from its URL. Accepted forms:
/// - `sqlite:///absolute/path.db` (optionally `?synchronous=full|normal`)
/// - `sqlite::memory:` (a private in-memory database, for tests)
/// - `postgres://user:password@host:port/database` or `postgresql://…`, with optional query
///   parameters `sslmode=disable|prefer|require|verify-full`, `pool_size=N`, `connect_timeout=S`,
///   `lock_timeout=MS`, `statement_timeout=MS`.
///
/// Error messages name what is wrong but never repeat the password (nor the raw URL, which may
/// contain it).
enum StoreLocation: Sendable, Equatable {
    case sqliteFile(path: String, synchronous: SQLiteSynchronous)
    case sqliteMemory
    case postgres(PostgresLocation)

    static func parse(_ url: String) throws(StoreError) -> StoreLocation {
        let trimmed = url.trimmingCharacters(in: .whitespaces)
        if trimmed == "sqlite::memory:" { return .sqliteMemory }
        if trimmed.hasPrefix("sqlite:") { return try parseSQLite(trimmed) }
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            return .postgres(try PostgresLocation.parse(trimmed))
        }
        let scheme = trimmed.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        throw StoreError(
            .invalidURL,
            "unsupported store URL scheme '\(scheme)': use sqlite:///absolute/path.db, sqlite::memory: or postgres://user:password@host:port/database"
        )
    }

    private static func parseSQLite(_ url: String) throws(StoreError) -> StoreLocation {
        guard url.hasPrefix("sqlite://") else {
            throw StoreError(.invalidURL, "sqlite URL must be sqlite:///absolute/path.db or sqlite::memory:")
        }
        guard let components = URLComponents(string: url) else {
            throw StoreError(
                .invalidURL,
                "sqlite URL is malformed (percent-encode spaces and special characters in the path)"
            )
        }
        if let host = components.host, !host.isEmpty {
            throw StoreError(
                .invalidURL,
                "sqlite URL needs an absolute path with three slashes (sqlite:///absolute/path.db), got host '\(host)'"
            )
        }
        let path = components.path
        guard path.hasPrefix("/"), path.count > 1, !path.hasSuffix("/") else {
            throw StoreError(.invalidURL, "sqlite URL needs an absolute file path: sqlite:///absolute/path.db")
        }
        var synchronous = SQLiteSynchronous.full
        for item in components.queryItems ?? [] {
            switch item.name {
            case "synchronous":
                guard let value = item.value.flatMap({ SQLiteSynchronous(rawValue: $0.lowercased()) }) else {
                    throw StoreError(.invalidURL, "sqlite URL parameter synchronous must be 'full' or 'normal'")
                }
                synchronous = value
            default:
                throw StoreError(.invalidURL, "unknown sqlite URL parameter '\(item.name)' (known: synchronous)")
            }
        }
        return .sqliteFile(path: path, synchronous: synchronous)
    }
}

/// SQLite's `PRAGMA synchronous` in WAL mode. `full` (the default) syncs the WAL at every commit,
/// so a committed intake batch survives power loss: the consumer acknowledges Kafka offsets after
/// `accept` returns, and a batch lost afterwards would be lost for good. `normal` is durable
/// against process crashes only, and faster for single-row commits.
enum SQLiteSynchronous: String, Sendable, Equatable {
    case full
    case normal
}

/// A parsed PostgreSQL URL. `password` is kept out of `description`.
struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    enum TLSMode: String, Sendable, Equatable {
        /// Plain TCP.
        case disable
        /// TLS if the server offers it, certificate not verified (libpq's default).
        case prefer
        /// TLS or fail, certificate not verified.
        case require
        /// TLS with the certificate chain and host name verified.
        case verifyFull = "verify-full"
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var tls: TLSMode
    var poolSize: Int
    var connectTimeoutSeconds: Int
    /// The sessions' `lock_timeout`: the longest any statement waits for a row lock.
    var lockTimeoutMilliseconds = 5_000
    /// The sessions' `statement_timeout`: the longest any statement runs, waits included.
    var statementTimeoutMilliseconds = 15_000

    /// The URL with the password masked, for logs and error messages.
    var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }

    static func parse(_ url: String) throws(StoreError) -> PostgresLocation {
        guard let components = URLComponents(string: url) else {
            throw StoreError(
                .invalidURL,
                "postgres URL is malformed (percent-encode special characters such as @ : / in the user name and password)"
            )
        }
        guard let host = components.host, !host.isEmpty else {
            throw StoreError(.invalidURL, "postgres URL needs a host: postgres://user:password@host:port/database")
        }
        guard let username = components.user, !username.isEmpty else {
            throw StoreError(.invalidURL, "postgres URL needs a user name: postgres://user:password@\(host)/database")
        }
        let port: Int
        if let given = components.port {
            guard (1...65535).contains(given) else {
                throw StoreError(.invalidURL, "postgres URL port \(given) is out of range 1-65535")
            }
            port = given
        } else {
            port = 5432
        }
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.isEmpty, !database.contains("/") else {
            throw StoreError(
                .invalidURL,
                "postgres URL needs a database name as its path: postgres://user@\(host):\(port)/database"
            )
        }
        var location = PostgresLocation(
            host: host,
            port: port,
            username: username,
            password: components.password,
            database: database,
            tls: .prefer,
            poolSize: 20,
            connectTimeoutSeconds: 10
        )
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw StoreError(
                        .invalidURL,
                        "postgres URL parameter sslmode must be disable, prefer, require or verify-full, got '\(value)'"
                    )
                }
                location.tls = mode
            case "pool_size":
                guard let size = Int(value), (1...1000).contains(size) else {
                    throw StoreError(
                        .invalidURL,
                        "postgres URL parameter pool_size must be an integer from 1 to 1000, got '\(value)'"
                    )
                }
                location.poolSize = size
            case "connect_timeout":
                guard let seconds = Int(value), (1...3600).contains(seconds) else {
                    throw StoreError(
                        .invalidURL,
                        "postgres URL parameter connect_timeout must be a number of seconds from 1 to 3600, got '\(value)'"
                    )
                }
                location.connectTimeoutSeconds = seconds
            case "lock_timeout":
                location.lockTimeoutMilliseconds = try milliseconds(item.name, value)
            case "statement_timeout":
                location.statementTimeoutMilliseconds = try milliseconds(item.name, value)
            default:
                throw StoreError(
                    .invalidURL,
                    "unknown postgres URL parameter '\(item.name)' (known: sslmode, pool_size, connect_timeout, lock_timeout, statement_timeout)"
                )
            }
        }
        return location
    }

    /// A timeout parameter in milliseconds: bounded, and never 0, which would mean "wait for ever".
    private static func milliseconds(_ name: String, _ value: String) throws(StoreError) -> Int {
        guard let milliseconds = Int(value), (100...600_000).contains(milliseconds) else {
            throw StoreError(
                .invalidURL,
                "postgres URL parameter \(name) must be a number of milliseconds from 100 to 600000, got '\(value)'"
            )
        }
        return milliseconds
    }
}
