import CommandSupport
import Foundation
import Logging
import PayoutEngine
import PostgresNIO

/// intake's store ceiling on PostgreSQL: the very rows an intake pass wrote (each payout, its
/// ACCEPTED event and its outbox entry, in the order they were accepted), written again by a plain
/// postgres-nio connection into tables of the same definition (`LIKE … INCLUDING ALL`, plus the
/// outbox's foreign key) in a schema of their own, `bench_ceiling`, in the same database. It keeps
/// intake's shape at the least cost PostgreSQL offers: batches of 500, one transaction each, the
/// batch's lookup (`FOR SHARE`, as intake locks), then one set-based insert per table
/// (`json_populate_recordset`), at the server's own durability (`synchronous_commit` as set).
/// Only the transactions are timed; reading the rows back is not.
enum PostgresStoreCeiling {
    static let schema = "bench_ceiling"

    /// Copies the payouts read from `warmUpTopic` untimed (a warm-up), then times those from `topic`.
    static func run(
        url: String,
        warmUpTopic: String,
        topic: String,
        batchSize: Int = 500,
        logger: Logger
    ) async throws -> StoreCeilingTiming {
        let connection = try await PostgresConnection.connect(
            configuration: try PayoutStoreFactory.postgresConnection(url: url),
            id: 1,
            logger: logger
        )
        do {
            try await createTables(connection, logger: logger)
            _ = try await copy(topic: warmUpTopic, batchSize: batchSize, connection: connection, logger: logger)
            let timing = try await copy(topic: topic, batchSize: batchSize, connection: connection, logger: logger)
            try await connection.query("DROP SCHEMA \(unescaped: schema) CASCADE", logger: logger)
            try await connection.close()
            return timing
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private static func createTables(_ connection: PostgresConnection, logger: Logger) async throws {
        for statement in [
            "DROP SCHEMA IF EXISTS \(schema) CASCADE",
            "CREATE SCHEMA \(schema)",
            "CREATE TABLE \(schema).payouts (LIKE public.payouts INCLUDING ALL)",
            "CREATE TABLE \(schema).payout_events (LIKE public.payout_events INCLUDING ALL)",
            "CREATE TABLE \(schema).outbox (LIKE public.outbox INCLUDING ALL)",
            """
            ALTER TABLE \(schema).outbox ADD FOREIGN KEY (reference_id, sequence)
            REFERENCES \(schema).payout_events (reference_id, sequence)
            """,
        ] {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }

    private static func copy(
        topic: String,
        batchSize: Int,
        connection: PostgresConnection,
        logger: Logger
    ) async throws -> StoreCeilingTiming {
        let references = try await connection.query(
            """
            SELECT reference_id FROM public.payouts WHERE source_topic = \(topic)
            ORDER BY created_at, source_partition, source_offset
            """,
            logger: logger
        ).collect().map { try $0.decode(String.self) }
        guard !references.isEmpty else {
            throw CommandFailure("store ceiling: the intake pass left no payouts read from \(topic)")
        }
        var timing = StoreCeilingTiming(rows: 0, seconds: 0)
        for start in stride(from: 0, to: references.count, by: batchSize) {
            let batch = Array(references[start..<min(start + batchSize, references.count)])
            // Untimed: the batch's rows as JSON, read back from the intake tables.
            let rows = try await connection.query(
                """
                SELECT (SELECT json_agg(p ORDER BY p.created_at, p.source_partition, p.source_offset) FROM public.payouts p WHERE p.reference_id = ANY(\(batch)))::text,
                       (SELECT json_agg(e) FROM public.payout_events e WHERE e.reference_id = ANY(\(batch)))::text,
                       (SELECT json_agg(o) FROM public.outbox o WHERE o.reference_id = ANY(\(batch)))::text
                """,
                logger: logger
            ).collect()
            guard let row = rows.first else { throw CommandFailure("store ceiling: no rows read back") }
            let (payouts, events, outbox) = try row.decode((String, String, String).self)

            let started = ContinuousClock.now
            try await connection.query("BEGIN", logger: logger)
            _ = try await connection.query(
                """
                SELECT reference_id, fingerprint, sequence, status, source_topic, source_partition, source_offset
                FROM \(unescaped: schema).payouts WHERE reference_id = ANY(\(batch)) ORDER BY reference_id FOR SHARE
                """,
                logger: logger
            ).collect()
            try await connection.query(
                """
                INSERT INTO \(unescaped: schema).payouts
                SELECT * FROM json_populate_recordset(NULL::\(unescaped: schema).payouts, \(payouts)::json)
                """,
                logger: logger
            )
            try await connection.query(
                """
                INSERT INTO \(unescaped: schema).payout_events
                SELECT * FROM json_populate_recordset(NULL::\(unescaped: schema).payout_events, \(events)::json)
                """,
                logger: logger
            )
            try await connection.query(
                """
                INSERT INTO \(unescaped: schema).outbox (reference_id, sequence, enqueued_at)
                SELECT reference_id, sequence, enqueued_at FROM json_populate_recordset(NULL::\(unescaped: schema).outbox, \(outbox)::json)
                """,
                logger: logger
            )
            try await connection.query("COMMIT", logger: logger)
            timing.seconds += (ContinuousClock.now - started).seconds
            timing.rows += batch.count
        }
        return timing
    }
}
