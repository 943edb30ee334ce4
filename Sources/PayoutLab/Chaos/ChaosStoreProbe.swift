import Foundation
import Logging
import PayoutEngine
import PostgresNIO

/// A plain connection to the chaos run's PostgreSQL database, apart from the store's pool, for
/// what the run asks the server about itself: how many deadlocks it broke, and, when the run
/// stalls, which transactions are open and which locks they hold or wait for.
struct ChaosStoreProbe: Sendable {
    /// A backend of the run's database that is not idle.
    struct Backend: Equatable, Sendable {
        var pid: Int32
        var state: String
        /// Seconds since its transaction began; nil outside a transaction.
        var transactionAge: Double?
        /// Seconds since its state last changed.
        var stateAge: Double?
        var waitEventType: String?
        var waitEvent: String?
        var blockedBy: [Int32]
        /// Its current or last statement on one line, cut to 200 characters.
        var query: String
    }

    /// A lock a backend holds (granted) or waits for.
    struct Lock: Equatable, Sendable {
        var pid: Int32
        var mode: String
        var granted: Bool
        /// What is locked: relation, page and tuple, transaction id, and so on.
        var target: String
    }

    /// The server's open work at one moment.
    struct Activity: Sendable {
        var database: String
        var backends: [Backend]
        var locks: [Lock]
    }

    private let connection: PostgresConnection
    private let logger: Logger

    static func connect(url: String, logger: Logger) async throws -> ChaosStoreProbe {
        let connection = try await PostgresConnection.connect(
            configuration: try PayoutStoreFactory.postgresConnection(url: url),
            id: 1,
            logger: logger
        )
        return ChaosStoreProbe(connection: connection, logger: logger)
    }

    /// `pg_stat_database.deadlocks` of the run's database: deadlocks the server detected and
    /// broke by aborting a transaction, since its statistics were last reset. A backend reports
    /// its count within a second of going idle, and when it exits.
    func deadlocks() async throws -> Int {
        let rows = try await connection.query(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
            logger: logger
        ).collect()
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    /// Every backend of the run's database but this one that is not idle, oldest transaction
    /// first, and the locks they hold or wait for.
    func activity() async throws -> Activity {
        let database =
            try await connection.query("SELECT current_database()", logger: logger).collect().first?.decode(String.self)
            ?? "?"
        return Activity(database: database, backends: try await backends(), locks: try await locks())
    }

    func close() async {
        try? await connection.close()
    }

    private func backends() async throws -> [Backend] {
        try await connection.query(
            """
            SELECT pid, coalesce(state, ''), extract(epoch FROM now() - xact_start)::float8,
                   extract(epoch FROM now() - state_change)::float8, wait_event_type, wait_event,
                   pg_blocking_pids(pid), left(regexp_replace(coalesce(query, ''), '[[:space:]]+', ' ', 'g'), 200)
            FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'
            ORDER BY xact_start NULLS LAST, pid
            """,
            logger: logger
        ).collect().map { row in
            let (pid, state, transactionAge, stateAge, waitType, wait, blockedBy, query) =
                try row.decode((Int32, String, Double?, Double?, String?, String?, [Int32], String).self)
            return Backend(
                pid: pid,
                state: state,
                transactionAge: transactionAge,
                stateAge: stateAge,
                waitEventType: waitType,
                waitEvent: wait,
                blockedBy: blockedBy,
                query: query
            )
        }
    }

    /// Each backend's own virtual transaction id lock is left out: every transaction holds one.
    private func locks() async throws -> [Lock] {
        try await connection.query(
            """
            SELECT l.pid, l.mode, l.granted,
                   concat_ws(' ', l.locktype, l.relation::regclass::text,
                             CASE WHEN l.page IS NOT NULL THEN format('page %s tuple %s', l.page, l.tuple) END,
                             CASE WHEN l.transactionid IS NOT NULL THEN 'xid ' || l.transactionid::text END,
                             CASE WHEN l.virtualxid IS NOT NULL THEN 'vxid ' || l.virtualxid END)
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.state IS DISTINCT FROM 'idle'
              AND NOT (l.locktype = 'virtualxid' AND l.granted)
            ORDER BY l.pid, l.granted, l.locktype
            LIMIT 500
            """,
            logger: logger
        ).collect().map { row in
            let (pid, mode, granted, target) = try row.decode((Int32, String, Bool, String).self)
            return Lock(pid: pid, mode: mode, granted: granted, target: target)
        }
    }
}
