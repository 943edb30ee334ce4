import GRDB
import Logging

// Reads for the CLI, the tests and the metrics.
extension SQLitePayoutStore {
    // MARK: - Queries

    func payout(referenceID: String) async throws(StoreError) -> StoredPayout? {
        try await read("payout") { db in
            try Row.fetchOne(
                db,
                sql: "SELECT \(SQLiteRecords.payoutColumns) FROM payouts WHERE reference_id = ?",
                arguments: [referenceID]
            )
            .map(SQLiteRecords.payout)
        }
    }

    func events(referenceID: String) async throws(StoreError) -> [StoredEvent] {
        try await read("events") { db in
            try Row.fetchAll(
                db,
                sql: "SELECT \(SQLiteRecords.eventColumns) FROM payout_events WHERE reference_id = ? ORDER BY sequence",
                arguments: [referenceID]
            ).map { try SQLiteRecords.event($0) }
        }
    }

    func hold(referenceID: String) async throws(StoreError) -> StoredHold? {
        try await read("hold") { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT reference_id, wallet_id, amount_minor, state, settled_minor FROM holds WHERE reference_id = ?
                        """,
                    arguments: [referenceID]
                )
            else { return nil }
            return try SQLiteRecords.hold(row)
        }
    }

    func countsByStatus() async throws(StoreError) -> [PayoutStatus: Int] {
        try await read("countsByStatus") { db in
            var counts: [PayoutStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) FROM payouts GROUP BY status") {
                counts[try PayoutStatus(stored: row[0])] = row[1]
            }
            return counts
        }
    }

    func finishedPerMinute(since: Int64) async throws(StoreError) -> [FinishedMinute] {
        try await read("finishedPerMinute") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT (occurred_at / 60000) * 60000, status, count(*) FROM payout_events
                    WHERE occurred_at >= ? AND status IN ('COMPLETED', 'FAILED', 'REQUIRES_REVIEW')
                    GROUP BY 1, 2 ORDER BY 1, 2
                    """,
                arguments: [since]
            ).map { FinishedMinute(minuteStart: $0[0], status: try PayoutStatus(stored: $0[1]), count: $0[2]) }
        }
    }

    func leaseHolders(now: Int64) async throws(StoreError) -> [LeaseHolder] {
        try await read("leaseHolders") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT lease_owner, count(*), min(lease_expires_at) FROM payouts
                    WHERE is_final = 0 AND lease_owner IS NOT NULL AND lease_expires_at > ?
                    GROUP BY lease_owner ORDER BY lease_owner
                    """,
                arguments: [now]
            ).map { LeaseHolder(owner: $0[0], payouts: $0[1], nextExpiry: $0[2]) }
        }
    }
}

extension SQLitePayoutStore {
    func eventsForReplay(
        referenceID: String?,
        since: Int64?,
        after cursor: EventCursor?,
        limit: Int
    ) async throws(StoreError) -> [StoredEvent] {
        try await read("eventsForReplay") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(SQLiteRecords.eventColumns) FROM payout_events
                    WHERE (? IS NULL OR reference_id = ?) AND (? IS NULL OR occurred_at >= ?)
                      AND (? IS NULL OR (reference_id, sequence) > (?, ?))
                    ORDER BY reference_id, sequence LIMIT ?
                    """,
                arguments: [
                    referenceID, referenceID, since, since, cursor?.referenceID, cursor?.referenceID, cursor?.sequence,
                    limit,
                ]
            ).map { try SQLiteRecords.event($0) }
        }
    }
}
