import Logging
import PostgresNIO

// Review and resolution: the operator's claim, the listings, the review queue and the audit log.
extension PostgresPayoutStore {
    func claimForResolution(
        referenceID: String,
        owner: String,
        leaseMilliseconds: Int64,
        now: Int64
    ) async throws(StoreError) -> ResolutionClaim {
        try TransitionRules.checkLease(leaseMilliseconds, "resolution")
        let expires = TransitionRules.deadline(now, plus: leaseMilliseconds)
        return try await transaction("claimForResolution \(referenceID)") { [self] connection in
            // FOR UPDATE: a concurrent claim (the engine's or another operator's) waits, then sees this one's lease.
            let rows = try await connection.query(
                "SELECT status, lease_owner, lease_expires_at FROM payouts WHERE reference_id = \(referenceID) FOR UPDATE",
                logger: logger
            ).collect()
            guard let row = rows.first else { return .rollback(.notFound) }
            let (text, holder, until) = try row.decode((String, String?, Int64?).self)
            let status = try PayoutStatus(stored: text)
            guard status == .requiresReview else {
                return .rollback(.notUnderReview(status: status))
            }
            if let holder, let until, until > now { return .rollback(.busy(owner: holder, until: until)) }
            let claimed = try await connection.query(
                """
                UPDATE payouts SET lease_owner = \(owner), lease_expires_at = \(expires) WHERE reference_id = \(referenceID)
                RETURNING \(unescaped: PostgresRecords.payoutColumns)
                """,
                logger: logger
            ).collect()
            guard let payout = claimed.first else {
                throw StoreError(.corrupt, "payout \(referenceID) vanished while claimed")
            }
            return .commit(.claimed(try PostgresRecords.payout(payout)))
        }
    }

    func listPayouts(status: PayoutStatus?, since: Int64?, limit: Int) async throws(StoreError) -> [PayoutListing] {
        let status = status?.rawValue
        return try await read("listPayouts") { [self] connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: StoreSQL.qualified(PostgresRecords.payoutColumns, "p")), e.occurred_at, h.amount_minor
                FROM payouts p
                JOIN payout_events e ON e.reference_id = p.reference_id AND e.sequence = p.sequence
                LEFT JOIN holds h ON h.reference_id = p.reference_id AND h.state = 'pending'
                WHERE (\(status)::text IS NULL OR p.status = \(status)) AND (\(since)::bigint IS NULL OR p.created_at >= \(since))
                ORDER BY p.status = 'REQUIRES_REVIEW' DESC,
                         CASE WHEN p.status = 'REQUIRES_REVIEW' THEN e.occurred_at END,
                         p.created_at DESC, p.reference_id
                LIMIT \(limit)
                """,
                logger: logger
            ).collect()
            return try rows.map { row in
                let columns = row.makeRandomAccess()
                return PayoutListing(
                    payout: try PostgresRecords.payout(row),
                    latestEventAt: try columns[15].decode(Int64.self),
                    heldMinor: try columns[16].decode(Int64?.self)
                )
            }
        }
    }

    func reviewQueue() async throws(StoreError) -> ReviewQueueSummary {
        try await read("reviewQueue") { [self] connection in
            let rows = try await connection.query(
                """
                SELECT count(*)::int8, min(e.occurred_at) FROM payouts p
                JOIN payout_events e ON e.reference_id = p.reference_id AND e.sequence = p.sequence
                WHERE p.status = 'REQUIRES_REVIEW'
                """,
                logger: logger
            ).collect()
            let (count, oldest) = try rows.first?.decode((Int64, Int64?).self) ?? (Int64(0), nil)
            return ReviewQueueSummary(count: Int(count), oldestSince: oldest)
        }
    }

    func auditRecords(referenceID: String?, limit: Int) async throws(StoreError) -> [ResolutionAudit] {
        try await read("auditRecords") { [self] connection in
            let rows = try await connection.query(
                """
                SELECT * FROM (
                    SELECT id, reference_id, kind, actor, note, provider_answer, status_before, status_after, ledger, forced, recorded_at
                    FROM payout_audit WHERE (\(referenceID)::text IS NULL OR reference_id = \(referenceID)) ORDER BY id DESC LIMIT \(limit)
                ) latest ORDER BY id
                """,
                logger: logger
            ).collect()
            return try rows.map { row in
                let (id, reference, kind, actor, note, answer, before, after, ledger, forced, at) = try row.decode(
                    (Int64, String, String, String, String, String, String, String, String, Bool, Int64).self
                )
                guard let parsed = ResolutionAudit.Kind(rawValue: kind) else {
                    throw StoreError(.corrupt, "audit record \(id) has unknown kind '\(kind)'")
                }
                return ResolutionAudit(
                    id: id,
                    referenceID: reference,
                    kind: parsed,
                    actor: actor,
                    note: note,
                    providerAnswer: answer,
                    statusBefore: try PayoutStatus(stored: before),
                    statusAfter: try PayoutStatus(stored: after),
                    ledger: ledger,
                    forced: forced,
                    recordedAt: at
                )
            }
        }
    }

    func resolutionCounts() async throws(StoreError) -> [ResolutionAudit.Kind: Int] {
        try await read("resolutionCounts") { [self] connection in
            var counts: [ResolutionAudit.Kind: Int] = [:]
            let rows = try await connection.query(
                "SELECT kind, count(*)::int8 FROM payout_audit GROUP BY kind",
                logger: logger
            )
            for try await (kind, count) in rows.decode((String, Int64).self) {
                if let kind = ResolutionAudit.Kind(rawValue: kind) { counts[kind] = Int(count) }
            }
            return counts
        }
    }
}
