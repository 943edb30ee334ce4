import Logging
import PostgresNIO

// Retention: bounded deletes of what the store no longer needs, and the scrubbing of recipients.
extension PostgresPayoutStore {
    func prune(_ target: PruneTarget, before: Int64, limit: Int, dryRun: Bool) async throws(StoreError) -> Int {
        let predicate = Self.prunable(target)(before)
        if dryRun {
            return try await read("prune \(target.rawValue) (dry run)") { [self] connection in
                let rows = try await connection.query(
                    "SELECT count(*)::int8 FROM \(unescaped: target.rawValue) AS t WHERE \(unescaped: predicate)",
                    logger: logger
                ).collect()
                return Int(try rows.first?.decode(Int64.self) ?? 0)
            }
        }
        let key =
            target == .sentOutbox
            ? "id" : target == .events ? "reference_id, sequence" : "source_topic, source_partition, source_offset"
        return try await transaction("prune \(target.rawValue)") { [self] connection in
            // SKIP LOCKED: a row another transaction holds (an outbox row being claimed) waits for the next round.
            let rows = try await connection.query(
                """
                DELETE FROM \(unescaped: target.rawValue) WHERE (\(unescaped: key)) IN (
                    SELECT \(unescaped: key) FROM \(unescaped: target.rawValue) AS t WHERE \(unescaped: predicate)
                    LIMIT \(limit) FOR UPDATE SKIP LOCKED
                ) RETURNING 1
                """,
                logger: logger
            ).collect()
            return .commit(rows.count)
        }
    }

    /// The rows of `target` (aliased `t`) older than `before`. `before` is an integer, so it is
    /// written into the statement rather than bound: the predicate is reused by two statements.
    private static func prunable(_ target: PruneTarget) -> @Sendable (Int64) -> String {
        switch target {
        case .sentOutbox:
            { "t.sent_at IS NOT NULL AND t.sent_at <= \($0)" }
        case .events:
            // Not a payout's latest event (rejections, which have no payout row, keep theirs), and
            // no outbox row points at it: an unsent one must still be published.
            {
                """
                t.occurred_at < \($0) AND t.sequence < (SELECT p.sequence FROM payouts p WHERE p.reference_id = t.reference_id)
                AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.reference_id = t.reference_id AND o.sequence = t.sequence)
                """
            }
        case .intakeSources:
            { "t.recorded_at < \($0)" }
        }
    }

    func payoutsToScrub(before: Int64, limit: Int) async throws(StoreError) -> [StoredPayout] {
        try await read("payoutsToScrub") { [self] connection in
            try await connection.query(
                """
                SELECT \(unescaped: PostgresRecords.payoutColumns) FROM payouts
                WHERE is_final AND pii_scrubbed_at IS NULL AND updated_at < \(before) ORDER BY updated_at LIMIT \(limit)
                """,
                logger: logger
            ).collect().map(PostgresRecords.payout)
        }
    }

    func countPayoutsToScrub(before: Int64) async throws(StoreError) -> Int {
        try await read("countPayoutsToScrub") { [self] connection in
            let rows = try await connection.query(
                "SELECT count(*)::int8 FROM payouts WHERE is_final AND pii_scrubbed_at IS NULL AND updated_at < \(before)",
                logger: logger
            ).collect()
            return Int(try rows.first?.decode(Int64.self) ?? 0)
        }
    }

    func markScrubbed(referenceID: String, state: String, now: Int64) async throws(StoreError) -> Bool {
        try await transaction("markScrubbed \(referenceID)") { [self] connection in
            let rows = try await connection.query(
                """
                UPDATE payouts SET state = \(state), pii_scrubbed_at = \(now)
                WHERE reference_id = \(referenceID) AND is_final AND pii_scrubbed_at IS NULL RETURNING 1
                """,
                logger: logger
            ).collect()
            return .commit(rows.count == 1)
        }
    }

    func tableRowCounts() async throws(StoreError) -> [String: Int] {
        try await read("tableRowCounts") { [self] connection in
            var counts: [String: Int] = [:]
            for table in StoreSQL.countedTables {
                let rows = try await connection.query("SELECT count(*)::int8 FROM \(unescaped: table)", logger: logger)
                    .collect()
                counts[table] = Int(try rows.first?.decode(Int64.self) ?? 0)
            }
            return counts
        }
    }
}
