import Logging
import PostgresNIO

// Claims, leases and the fenced transition that commits an engine step.
extension PostgresPayoutStore {
    // MARK: - Leases

    func claimDue(
        owner: String,
        limit: Int,
        leaseMilliseconds: Int64,
        now: Int64
    ) async throws(StoreError) -> [StoredPayout] {
        guard limit > 0 else { return [] }
        try TransitionRules.checkLease(leaseMilliseconds, "payout")
        let expires = TransitionRules.deadline(now, plus: leaseMilliseconds)
        // One statement, which never waits: SKIP LOCKED passes over rows another transaction holds.
        let claimed = try await autocommit("claimDue") { [self] connection in
            // MATERIALIZED: the locking subquery runs exactly once (never re-planned into a join
            // that could lock more rows than it returns).
            let rows = try await connection.query(
                """
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
                """,
                logger: logger
            ).collect()
            return try rows.map(PostgresRecords.payout)
        }
        return claimed.sorted { ($0.nextAttemptAt, $0.referenceID) < ($1.nextAttemptAt, $1.referenceID) }
    }

    func releaseLease(referenceID: String, owner: String) async throws(StoreError) {
        try await autocommit("releaseLease") { [self] connection in
            try await connection.query(
                """
                UPDATE payouts SET lease_owner = NULL, lease_expires_at = NULL WHERE reference_id = \(referenceID) AND lease_owner = \(owner)
                """,
                logger: logger
            )
            return ()
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
        return try await autocommit("renewLease \(referenceID)") { [self] connection in
            let rows = try await connection.query(
                """
                UPDATE payouts SET lease_expires_at = \(expires)
                WHERE reference_id = \(referenceID) AND lease_owner = \(owner) AND NOT is_final
                RETURNING lease_expires_at
                """,
                logger: logger
            ).collect()
            return try rows.first?.decode(Int64.self)
        }
    }

    // MARK: - Transitions

    /// One engine step: one call of `payout_step` (``PostgresEngineStep``), which fences the step by
    /// lease and stored sequence, applies its ledger operation, appends its events, outbox entries
    /// and audit entry, and updates the payout, or writes nothing. It commits in a group of steps
    /// (``PostgresStepGroups``), which runs the group again after a lock conflict.
    func commit(_ transition: PayoutTransition, now: Int64) async throws(StoreError) -> TransitionResult {
        try TransitionRules.checkLedger(transition)
        if let renew = transition.renewLeaseMilliseconds { try TransitionRules.checkLease(renew, "renewed") }
        let operation = "commit \(transition.referenceID)"
        let outcome: PostgresEngineStep.Outcome
        do {
            outcome = try await Self.abandoningOnCancellation { [stepGroups] in
                try await stepGroups.execute(transition, now: now)
            }
        } catch {
            throw PostgresErrorMapping.storeError(error, operation: operation)
        }
        switch outcome {
        case .committed(let payout, let heldMinor):
            if case .post(let debited) = transition.ledger, let heldMinor, debited > heldMinor {
                // The provider's word is the truth about the wallet; record it, loudly.
                logger.warning(
                    "posted debit exceeds the hold",
                    metadata: [
                        "reference_id": "\(transition.referenceID)", "held_minor": "\(heldMinor)",
                        "debited_minor": "\(debited)",
                    ]
                )
            }
            return .committed(payout)
        case .refused(let result):
            return result
        case .misuse(let error):
            throw error
        case .failed(let state, let message):
            throw PostgresErrorMapping.storeError(sqlState: state, message: message, operation: operation)
        }
    }
}
