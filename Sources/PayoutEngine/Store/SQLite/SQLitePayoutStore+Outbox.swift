import GRDB
import Logging

// The outbox: claimed in order per payout, marked sent once the broker acknowledges.
extension SQLitePayoutStore {
    // MARK: - Outbox

    func claimOutbox(
        owner: String,
        limit: Int,
        leaseMilliseconds: Int64,
        now: Int64
    ) async throws(StoreError) -> [OutboxEntry] {
        guard limit > 0 else { return [] }
        try TransitionRules.checkLease(leaseMilliseconds, "outbox")
        let expires = TransitionRules.deadline(now, plus: leaseMilliseconds)
        return try await transaction("claimOutbox") { db in
            // Eligible: unsent, unclaimed (or claim expired), and the oldest unsent entry of its
            // reference_id — so a reference's second event waits until its first is marked sent.
            let claimed = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
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
                        """
                ),
                arguments: [owner, expires, now, limit]
            )
            let event = try db.cachedStatement(
                sql: """
                    SELECT \(SQLiteRecords.eventColumns) FROM payout_events WHERE reference_id = ? AND sequence = ?
                    """
            )
            var entries: [OutboxEntry] = []
            entries.reserveCapacity(claimed.count)
            for row in claimed {
                let ref: String = row[1]
                let sequence: Int = row[2]
                guard let eventRow = try Row.fetchOne(event, arguments: [ref, sequence]) else {
                    throw StoreError(
                        .corrupt,
                        "outbox entry \(row[0] as Int64) points at missing event \(ref):\(sequence)"
                    )
                }
                entries.append(OutboxEntry(outboxID: row[0], event: try SQLiteRecords.event(eventRow)))
            }
            return .commit(entries.sorted { $0.outboxID < $1.outboxID })
        }
    }

    func markSent(_ outboxIDs: [Int64], now: Int64) async throws(StoreError) {
        guard !outboxIDs.isEmpty else { return }
        try await transaction("markSent") { db in
            let statement = try db.cachedStatement(
                sql: "UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL"
            )
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
}
