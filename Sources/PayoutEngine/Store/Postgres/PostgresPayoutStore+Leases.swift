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

    /// One engine step in as few round trips as the guarantees allow, since every statement costs
    /// the worker a hop between its event loop and its tasks, and a ledger step holds the wallet's
    /// row lock across all that follow it until the group commits:
    /// 1. one statement updates the payout fenced by its lease and stored sequence (an UPDATE waits
    ///    for a concurrent writer, then re-checks its WHERE on the row it will write, so the fence
    ///    and the writes are atomic), and appends the events and their outbox entries;
    /// 2. the ledger operation, whose refusal rolls the step back (``applyLedger``);
    /// 3. the audit entry of a resolution, if any.
    /// Only a step the fence refused reads the row again, to say why.
    func commit(_ transition: PayoutTransition, now: Int64) async throws(StoreError) -> TransitionResult {
        try TransitionRules.checkLedger(transition)
        if let renew = transition.renewLeaseMilliseconds { try TransitionRules.checkLease(renew, "renewed") }
        return try await transaction("commit \(transition.referenceID)") { [self] connection in
            // Events that do not follow one another can never continue the stored sequence.
            let contiguous = transition.events.indices.allSatisfy { transition.events[$0].sequence == transition.events[0].sequence + $0 }
            let rows = contiguous ? try await connection.query(Self.fencedStep(transition, now: now), logger: logger).collect() : []
            guard let row = rows.first else { return try await refusedStep(transition, now: now, on: connection) }
            let payout = try PostgresRecords.payout(row)
            if let refusal = try await applyLedger(transition, now: now, on: connection) {
                return .rollback(refusal)
            }
            if let audit = transition.audit { try await Self.appendAudit(audit, on: connection, logger: logger) }
            return .commit(.committed(payout))
        }
    }

    /// The payout's update, fenced by lease owner, lease expiry and the sequence its first event
    /// continues, with the events and outbox entries it emits; returns the updated row, or none.
    /// Data-modifying CTEs run exactly once; the events are written only if the update matched.
    private static func fencedStep(_ transition: PayoutTransition, now: Int64) -> PostgresQuery {
        let ref = transition.referenceID
        let stored = transition.events.first.map { $0.sequence - 1 }
        let sequence = transition.events.last?.sequence
        let leaseUntil = transition.renewLeaseMilliseconds.map { TransitionRules.deadline(now, plus: $0) }
        let newOwner = leaseUntil == nil ? nil : transition.leaseOwner
        var sql = PostgresQuery.StringInterpolation(literalCapacity: 1_024, interpolationCount: 16 + 5 * transition.events.count)
        sql.appendLiteral("WITH updated AS (UPDATE payouts SET state = ")
        sql.appendInterpolation(transition.state)
        sql.appendLiteral(", status = ")
        sql.appendInterpolation(transition.status)
        sql.appendLiteral(", is_final = ")
        sql.appendInterpolation(transition.isFinal)
        sql.appendLiteral(", reason_code = ")
        sql.appendInterpolation(transition.reasonCode)
        sql.appendLiteral(", sequence = ")
        if let sequence { sql.appendInterpolation(sequence) } else { sql.appendLiteral("sequence") }
        sql.appendLiteral(", attempts = attempts + \(transition.incrementAttempts ? 1 : 0), next_attempt_at = ")
        sql.appendInterpolation(transition.nextAttemptAt)
        sql.appendLiteral(", lease_owner = ")
        sql.appendInterpolation(newOwner)
        sql.appendLiteral(", lease_expires_at = ")
        sql.appendInterpolation(leaseUntil)
        sql.appendLiteral(", updated_at = ")
        sql.appendInterpolation(now)
        sql.appendLiteral(" WHERE reference_id = ")
        sql.appendInterpolation(ref)
        sql.appendLiteral(" AND lease_owner = ")
        sql.appendInterpolation(transition.leaseOwner)
        sql.appendLiteral(" AND lease_expires_at > ")
        sql.appendInterpolation(now)
        if let stored {
            sql.appendLiteral(" AND sequence = ")
            sql.appendInterpolation(stored)
        }
        sql.appendLiteral(" RETURNING \(PostgresRecords.payoutColumns))")
        if !transition.events.isEmpty {
            sql.appendLiteral("""
                , event AS (INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at, trace_parent) \
                SELECT updated.reference_id, e.sequence, e.status, e.payload, e.occurred_at, e.trace_parent FROM updated, (VALUES 
                """)
            for (index, event) in transition.events.enumerated() {
                sql.appendLiteral(index == 0 ? "(" : ", (")
                sql.appendInterpolation(event.sequence)
                sql.appendLiteral("::INTEGER, ")
                sql.appendInterpolation(event.status)
                sql.appendLiteral("::TEXT, ")
                sql.appendInterpolation(event.payload)
                sql.appendLiteral("::TEXT, ")
                sql.appendInterpolation(event.occurredAt)
                sql.appendLiteral("::BIGINT, ")
                sql.appendInterpolation(event.traceParent)
                sql.appendLiteral("::TEXT)")
            }
            sql.appendLiteral("""
                ) AS e (sequence, status, payload, occurred_at, trace_parent) RETURNING reference_id, sequence), \
                queued AS (INSERT INTO outbox (reference_id, sequence, enqueued_at) SELECT reference_id, sequence, 
                """)
            sql.appendInterpolation(now)
            sql.appendLiteral(" FROM event)")
        }
        sql.appendLiteral(" SELECT \(PostgresRecords.payoutColumns) FROM updated")
        return PostgresQuery(stringInterpolation: sql)
    }

    /// Why the fence refused a step: the lease is gone (`.leaseLost`), or its events do not continue
    /// the stored sequence (an error). Nothing was written.
    private func refusedStep(_ transition: PayoutTransition, now: Int64, on connection: PostgresConnection) async throws -> TransactionDecision<TransitionResult> {
        let current = try await connection.query(
            "SELECT sequence, lease_owner, lease_expires_at FROM payouts WHERE reference_id = \(transition.referenceID)", logger: logger
        ).collect()
        guard let row = current.first else { return .rollback(.leaseLost) }
        let (storedSequence, leaseOwner, leaseExpires) = try row.decode((Int, String?, Int64?).self)
        guard leaseOwner == transition.leaseOwner, let leaseExpires, leaseExpires > now else { return .rollback(.leaseLost) }
        try TransitionRules.checkEvents(transition, storedSequence: storedSequence)
        // The row passes now but did not when the update ran: it changed in between, so this
        // step's view of it is stale. The engine re-reads a payout whose lease it lost.
        return .rollback(.leaseLost)
    }
}
