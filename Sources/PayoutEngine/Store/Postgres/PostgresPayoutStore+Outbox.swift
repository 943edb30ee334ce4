import Logging
import PostgresNIO

// The outbox: claimed in order per payout, marked sent once the broker acknowledges.
extension PostgresPayoutStore {
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
        return try await transaction("claimOutbox") { [self] connection in
            // Eligible: unsent, unclaimed (or claim expired), and the oldest unsent entry of its
            // reference_id. An older entry locked by another relay is skipped, and the newer one
            // is not the oldest: one reference's events are never in flight out of order.
            let rows = try await connection.query(
                """
                WITH picked AS MATERIALIZED (
                    SELECT o.id FROM outbox o
                    WHERE o.sent_at IS NULL
                      AND (o.claim_expires_at IS NULL OR o.claim_expires_at <= \(now))
                      AND o.id = (SELECT min(o2.id) FROM outbox o2 WHERE o2.reference_id = o.reference_id AND o2.sent_at IS NULL)
                    ORDER BY o.id
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                ), claimed AS (
                    UPDATE outbox SET claimed_by = \(owner), claim_expires_at = \(expires)
                    FROM picked WHERE outbox.id = picked.id
                    RETURNING outbox.id, outbox.reference_id, outbox.sequence
                )
                SELECT c.id, \(unescaped: StoreSQL.qualified(PostgresRecords.eventColumns, "e"))
                FROM claimed c JOIN payout_events e ON e.reference_id = c.reference_id AND e.sequence = c.sequence
                ORDER BY c.id
                """,
                logger: logger
            ).collect()
            return .commit(
                try rows.map { row in
                    let (id, ref, sequence, status, payload, occurredAt, traceParent) = try row.decode(
                        (Int64, String, Int, String, String, Int64, String?).self
                    )
                    return OutboxEntry(
                        outboxID: id,
                        event: StoredEvent(
                            referenceID: ref,
                            sequence: sequence,
                            status: try PayoutStatus(stored: status),
                            payload: payload,
                            occurredAt: occurredAt,
                            traceParent: traceParent
                        )
                    )
                }
            )
        }
    }

    func markSent(_ outboxIDs: [Int64], now: Int64) async throws(StoreError) {
        guard !outboxIDs.isEmpty else { return }
        try await transaction("markSent") { [self] connection in
            try await connection.query(
                "UPDATE outbox SET sent_at = \(now) WHERE id = ANY(\(outboxIDs)) AND sent_at IS NULL",
                logger: logger
            )
            return .commit(())
        }
    }

    func outboxBacklog() async throws(StoreError) -> Int {
        try await read("outboxBacklog") { [self] connection in
            try await connection.query("SELECT count(*) FROM outbox WHERE sent_at IS NULL", logger: logger).collect()
                .first?.decode(Int.self) ?? 0
        }
    }
}
