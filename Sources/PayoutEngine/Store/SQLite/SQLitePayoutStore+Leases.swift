import GRDB
import Logging

// Claims, leases and the fenced transition that commits an engine step.
extension SQLitePayoutStore {
    // MARK: - Leases
    //
    // Hot statements use `cachedStatement`: compiling one runs GRDB's authorizer over every column
    // it reads, which was 6.5% of an end-to-end run's CPU when they were compiled per call.

    func claimDue(
        owner: String,
        limit: Int,
        leaseMilliseconds: Int64,
        now: Int64
    ) async throws(StoreError) -> [StoredPayout] {
        guard limit > 0 else { return [] }
        try TransitionRules.checkLease(leaseMilliseconds, "payout")
        let expires = TransitionRules.deadline(now, plus: leaseMilliseconds)
        let claimed = try await transaction("claimDue") { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        UPDATE payouts SET lease_owner = ?, lease_expires_at = ?
                        WHERE reference_id IN (
                            SELECT reference_id FROM payouts
                            WHERE is_final = 0 AND next_attempt_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
                            ORDER BY next_attempt_at, reference_id
                            LIMIT ?
                        )
                        RETURNING \(SQLiteRecords.payoutColumns)
                        """
                ),
                arguments: [owner, expires, now, now, limit]
            )
            return .commit(try rows.map(SQLiteRecords.payout))
        }
        // RETURNING does not promise an order.
        return claimed.sorted { ($0.nextAttemptAt, $0.referenceID) < ($1.nextAttemptAt, $1.referenceID) }
    }

    func releaseLease(referenceID: String, owner: String) async throws(StoreError) {
        try await transaction("releaseLease") { db in
            try db.cachedStatement(
                sql:
                    "UPDATE payouts SET lease_owner = NULL, lease_expires_at = NULL WHERE reference_id = ? AND lease_owner = ?"
            )
            .execute(arguments: [referenceID, owner])
            return .commit(())
        }
    }

    func renewLease(
        referenceID: String,
        owner: String,
        leaseMilliseconds: Int64,
        now: Int64
    ) async throws(StoreError) -> Int64? {
        try TransitionRules.checkLease(leaseMilliseconds, "renewed")
        let expires = TransitionRules.deadline(now, plus: leaseMilliseconds)
        return try await transaction("renewLease \(referenceID)") { db in
            let renewed = try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE payouts SET lease_expires_at = ? WHERE reference_id = ? AND lease_owner = ? AND is_final = 0
                        RETURNING lease_expires_at
                        """
                ),
                arguments: [expires, referenceID, owner]
            )
            return .commit(renewed)
        }
    }

    // MARK: - Transitions

    func commit(_ transition: PayoutTransition, now: Int64) async throws(StoreError) -> TransitionResult {
        try TransitionRules.checkLedger(transition)
        if let renew = transition.renewLeaseMilliseconds { try TransitionRules.checkLease(renew, "renewed") }
        let logger = self.logger
        return try await transaction("commit \(transition.referenceID)") { db in
            guard let storedSequence = try Self.fencedSequence(db, transition, now: now) else {
                return .rollback(.leaseLost)
            }
            try TransitionRules.checkEvents(transition, storedSequence: storedSequence)
            if let refusal = try Self.applyLedger(
                db,
                transition.ledger,
                referenceID: transition.referenceID,
                now: now,
                logger: logger
            ) {
                return .rollback(refusal)
            }
            try Self.appendAndEnqueueEvents(db, transition.events, referenceID: transition.referenceID, now: now)
            if let audit = transition.audit { try Self.appendAudit(db, audit) }
            let updated = try Self.writeState(db, transition, storedSequence: storedSequence, now: now)
            return .commit(.committed(updated))
        }
    }

    /// The stored sequence, or nil when `transition.leaseOwner` does not hold an unexpired lease.
    private static func fencedSequence(_ db: Database, _ transition: PayoutTransition, now: Int64) throws -> Int? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT sequence, lease_owner, lease_expires_at FROM payouts WHERE reference_id = ?"
                ),
                arguments: [transition.referenceID]
            ),
            (row[1] as String?) == transition.leaseOwner,
            let expires = row[2] as Int64?, expires > now
        else {
            return nil
        }
        return row[0] as Int
    }

    private static func appendAndEnqueueEvents(
        _ db: Database,
        _ events: [NewEvent],
        referenceID ref: String,
        now: Int64
    ) throws {
        let insertEvent = try db.cachedStatement(
            sql: """
                INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at, trace_parent) VALUES (?, ?, ?, ?, ?, ?)
                """
        )
        let enqueue = try db.cachedStatement(
            sql: "INSERT INTO outbox (reference_id, sequence, enqueued_at) VALUES (?, ?, ?)"
        )
        for event in events {
            try insertEvent.execute(arguments: [
                ref, event.sequence, event.status.rawValue, event.payload, event.occurredAt, event.traceParent,
            ])
            try enqueue.execute(arguments: [ref, event.sequence, now])
        }
    }

    private static func writeState(
        _ db: Database,
        _ transition: PayoutTransition,
        storedSequence: Int,
        now: Int64
    ) throws -> StoredPayout {
        let ref = transition.referenceID
        let sequence = transition.events.last?.sequence ?? storedSequence
        let leaseExpires = transition.renewLeaseMilliseconds.map { TransitionRules.deadline(now, plus: $0) }
        guard
            let updated = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE payouts SET state = ?, status = ?, is_final = ?, reason_code = ?, sequence = ?,
                            attempts = attempts + ?, next_attempt_at = ?, lease_owner = ?, lease_expires_at = ?, updated_at = ?
                        WHERE reference_id = ?
                        RETURNING \(SQLiteRecords.payoutColumns)
                        """
                ),
                arguments: [
                    transition.state, transition.status.rawValue, transition.isFinal, transition.reasonCode, sequence,
                    transition.incrementAttempts ? 1 : 0, transition.nextAttemptAt,
                    leaseExpires == nil ? nil : transition.leaseOwner, leaseExpires, now, ref,
                ]
            )
        else {
            throw StoreError(.corrupt, "payout \(ref) vanished during its transition")
        }
        return try SQLiteRecords.payout(updated)
    }
}
