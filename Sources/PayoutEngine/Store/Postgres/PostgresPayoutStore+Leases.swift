import Logging
import PostgresNIO

// Claims, leases and the fenced transition that commits an engine step.
extension PostgresPayoutStore {
    // MARK: - Leases

    func claimDue(owner: String, limit: Int, leaseMilliseconds: Int64, now: Int64) async throws(StoreError) -> [StoredPayout] {
        guard limit > 0 else { return [] }
        try TransitionRules.checkLease(leaseMilliseconds, "payout")
        let expires = TransitionRules.deadline(now, plus: leaseMilliseconds)
        let claimed = try await transaction("claimDue") { [self] connection in
            // MATERIALIZED: the locking subquery runs exactly once (never re-planned into a join
            // that could lock more rows than it returns).
            let rows = try await connection.query("""
                WITH due AS MATERIALIZED (
                    SELECT reference_id FROM payouts
                    WHERE NOT is_final AND next_attempt_at <= \(now) AND (lease_expires_at IS NULL OR lease_expires_at <= \(now))
                    ORDER BY next_attempt_at, reference_id
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE payouts SET lease_owner = \(owner), lease_expires_at = \(expires)
                FROM due WHERE payouts.reference_id = due.reference_id
                RETURNING \(unescaped: StoreSQL.qualified(PostgresRecords.payoutColumns, "payouts"))
                """, logger: logger).collect()
            return .commit(try rows.map(PostgresRecords.payout))
        }
        return claimed.sorted { ($0.nextAttemptAt, $0.referenceID) < ($1.nextAttemptAt, $1.referenceID) }
    }

    func releaseLease(referenceID: String, owner: String) async throws(StoreError) {
        try await transaction("releaseLease") { [self] connection in
            try await connection.query("""
                UPDATE payouts SET lease_owner = NULL, lease_expires_at = NULL WHERE reference_id = \(referenceID) AND lease_owner = \(owner)
                """, logger: logger)
            return .commit(())
        }
    }

    // MARK: - Transitions

    func commit(_ transition: PayoutTransition, now: Int64) async throws(StoreError) -> TransitionResult {
        try TransitionRules.checkLedger(transition)
        if let renew = transition.renewLeaseMilliseconds { try TransitionRules.checkLease(renew, "renewed") }
        return try await transaction("commit \(transition.referenceID)") { [self] connection in
            let ref = transition.referenceID
            let current = try await connection.query(
                "SELECT sequence, lease_owner, lease_expires_at FROM payouts WHERE reference_id = \(ref) FOR UPDATE", logger: logger
            ).collect()
            guard let row = current.first else { return .rollback(.leaseLost) }
            let (storedSequence, leaseOwner, leaseExpires) = try row.decode((Int, String?, Int64?).self)
            guard leaseOwner == transition.leaseOwner, let leaseExpires, leaseExpires > now else { return .rollback(.leaseLost) }
            try TransitionRules.checkEvents(transition, storedSequence: storedSequence)

            if let refusal = try await applyLedger(transition, now: now, on: connection) {
                return .rollback(refusal)
            }

            for event in transition.events {
                try await connection.query("""
                    WITH event AS (
                        INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at, trace_parent)
                        VALUES (\(ref), \(event.sequence), \(event.status), \(event.payload), \(event.occurredAt), \(event.traceParent))
                        RETURNING reference_id, sequence
                    )
                    INSERT INTO outbox (reference_id, sequence, enqueued_at) SELECT reference_id, sequence, \(now) FROM event
                    """, logger: logger)
            }

            if let audit = transition.audit { try await Self.appendAudit(audit, on: connection, logger: logger) }

            let sequence = transition.events.last?.sequence ?? storedSequence
            let leaseUntil = transition.renewLeaseMilliseconds.map { TransitionRules.deadline(now, plus: $0) }
            let newOwner = leaseUntil == nil ? nil : transition.leaseOwner
            let updated = try await connection.query("""
                UPDATE payouts SET state = \(transition.state), status = \(transition.status), is_final = \(transition.isFinal),
                    reason_code = \(transition.reasonCode), sequence = \(sequence),
                    attempts = attempts + \(transition.incrementAttempts ? 1 : 0), next_attempt_at = \(transition.nextAttemptAt),
                    lease_owner = \(newOwner), lease_expires_at = \(leaseUntil), updated_at = \(now)
                WHERE reference_id = \(ref)
                RETURNING \(unescaped: PostgresRecords.payoutColumns)
                """, logger: logger).collect()
            guard let payout = updated.first else { throw StoreError(.corrupt, "payout \(ref) vanished during its transition") }
            return .commit(.committed(try PostgresRecords.payout(payout)))
        }
    }
}
