import Logging
import PostgresNIO

// Reads for the CLI, the tests and the metrics.
extension PostgresPayoutStore {
    // MARK: - Queries

    func payout(referenceID: String) async throws(StoreError) -> StoredPayout? {
        try await read("payout") { [self] connection in
            try await connection.query(
                "SELECT \(unescaped: PostgresRecords.payoutColumns) FROM payouts WHERE reference_id = \(referenceID)",
                logger: logger
            ).collect().first.map(PostgresRecords.payout)
        }
    }

    func events(referenceID: String) async throws(StoreError) -> [StoredEvent] {
        try await read("events") { [self] connection in
            try await connection.query(
                """
                SELECT \(unescaped: PostgresRecords.eventColumns) FROM payout_events WHERE reference_id = \(referenceID) ORDER BY sequence
                """,
                logger: logger
            ).collect().map(PostgresRecords.event)
        }
    }

    func hold(referenceID: String) async throws(StoreError) -> StoredHold? {
        try await read("hold") { [self] connection in
            try await connection.query(
                """
                SELECT reference_id, wallet_id, amount_minor, state, settled_minor FROM holds WHERE reference_id = \(referenceID)
                """,
                logger: logger
            ).collect().first.map(PostgresRecords.hold)
        }
    }

    func countsByStatus() async throws(StoreError) -> [PayoutStatus: Int] {
        try await read("countsByStatus") { [self] connection in
            var counts: [PayoutStatus: Int] = [:]
            for row in try await connection.query(
                "SELECT status, count(*) FROM payouts GROUP BY status",
                logger: logger
            ).collect() {
                let (status, count) = try row.decode((String, Int).self)
                counts[try PayoutStatus(stored: status)] = count
            }
            return counts
        }
    }

    func finishedPerMinute(since: Int64) async throws(StoreError) -> [FinishedMinute] {
        try await read("finishedPerMinute") { [self] connection in
            try await connection.query(
                """
                SELECT (occurred_at / 60000) * 60000, status, count(*) FROM payout_events
                WHERE occurred_at >= \(since) AND status IN ('COMPLETED', 'FAILED', 'REQUIRES_REVIEW')
                GROUP BY 1, 2 ORDER BY 1, 2
                """,
                logger: logger
            ).collect().map { row in
                let (minute, status, count) = try row.decode((Int64, String, Int).self)
                return FinishedMinute(minuteStart: minute, status: try PayoutStatus(stored: status), count: count)
            }
        }
    }

    func leaseHolders(now: Int64) async throws(StoreError) -> [LeaseHolder] {
        try await read("leaseHolders") { [self] connection in
            try await connection.query(
                """
                SELECT lease_owner, count(*), min(lease_expires_at) FROM payouts
                WHERE NOT is_final AND lease_owner IS NOT NULL AND lease_expires_at > \(now)
                GROUP BY lease_owner ORDER BY lease_owner
                """,
                logger: logger
            ).collect().map { row in
                let (owner, payouts, expiry) = try row.decode((String, Int, Int64).self)
                return LeaseHolder(owner: owner, payouts: payouts, nextExpiry: expiry)
            }
        }
    }
}

extension PostgresPayoutStore {
    func eventsForReplay(
        referenceID: String?,
        since: Int64?,
        after cursor: EventCursor?,
        limit: Int
    ) async throws(StoreError) -> [StoredEvent] {
        try await read("eventsForReplay") { [self] connection in
            try await connection.query(
                """
                SELECT \(unescaped: PostgresRecords.eventColumns) FROM payout_events
                WHERE (\(referenceID)::text IS NULL OR reference_id = \(referenceID))
                  AND (\(since)::bigint IS NULL OR occurred_at >= \(since))
                  AND (\(cursor?.referenceID)::text IS NULL OR (reference_id, sequence) > (\(cursor?.referenceID)::text, \(cursor?.sequence)::int))
                ORDER BY reference_id, sequence LIMIT \(limit)
                """,
                logger: logger
            ).collect().map(PostgresRecords.event)
        }
    }
}
