import GRDB

// Retention: bounded deletes of what the store no longer needs, and the scrubbing of recipients.
extension SQLitePayoutStore {
    func prune(_ target: PruneTarget, before: Int64, limit: Int, dryRun: Bool) async throws(StoreError) -> Int {
        let predicate = Self.prunable(target)
        if dryRun {
            return try await read("prune \(target.rawValue) (dry run)") { db in
                try Int.fetchOne(
                    db,
                    sql: "SELECT count(*) FROM \(target.rawValue) AS t WHERE \(predicate)",
                    arguments: [before]
                ) ?? 0
            }
        }
        let key =
            target == .sentOutbox
            ? "id" : target == .events ? "reference_id, sequence" : "source_topic, source_partition, source_offset"
        return try await transaction("prune \(target.rawValue)") { db in
            try db.execute(
                sql: """
                    DELETE FROM \(target.rawValue) WHERE (\(key)) IN (
                        SELECT \(key) FROM \(target.rawValue) AS t WHERE \(predicate) LIMIT ?
                    )
                    """,
                arguments: [before, limit]
            )
            return .commit(db.changesCount)
        }
    }

    /// The rows of `target` (aliased `t`) older than the one bound argument.
    private static func prunable(_ target: PruneTarget) -> String {
        switch target {
        case .sentOutbox:
            "t.sent_at IS NOT NULL AND t.sent_at <= ?"
        case .events:
            // Not a payout's latest event (rejections, which have no payout row, keep theirs), and
            // no outbox row points at it: an unsent one must still be published.
            """
            t.occurred_at < ? AND t.sequence < (SELECT p.sequence FROM payouts p WHERE p.reference_id = t.reference_id)
            AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.reference_id = t.reference_id AND o.sequence = t.sequence)
            """
        case .intakeSources:
            "t.recorded_at < ?"
        }
    }

    func payoutsToScrub(before: Int64, limit: Int) async throws(StoreError) -> [StoredPayout] {
        try await read("payoutsToScrub") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(SQLiteRecords.payoutColumns) FROM payouts
                    WHERE is_final = 1 AND pii_scrubbed_at IS NULL AND updated_at < ? ORDER BY updated_at LIMIT ?
                    """,
                arguments: [before, limit]
            ).map(SQLiteRecords.payout)
        }
    }

    func countPayoutsToScrub(before: Int64) async throws(StoreError) -> Int {
        try await read("countPayoutsToScrub") { db in
            try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM payouts WHERE is_final = 1 AND pii_scrubbed_at IS NULL AND updated_at < ?",
                arguments: [before]
            ) ?? 0
        }
    }

    func markScrubbed(referenceID: String, state: String, now: Int64) async throws(StoreError) -> Bool {
        try await transaction("markScrubbed \(referenceID)") { db in
            try db.execute(
                sql: """
                    UPDATE payouts SET state = ?, pii_scrubbed_at = ? WHERE reference_id = ? AND is_final = 1 AND pii_scrubbed_at IS NULL
                    """,
                arguments: [state, now, referenceID]
            )
            return .commit(db.changesCount == 1)
        }
    }

    func tableRowCounts() async throws(StoreError) -> [String: Int] {
        try await read("tableRowCounts") { db in
            var counts: [String: Int] = [:]
            for table in StoreSQL.countedTables {
                counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
            }
            return counts
        }
    }
}
