import GRDB

// Review and resolution: the operator's claim, the listings, the review queue and the audit log.
extension SQLitePayoutStore {
    func claimForResolution(
        referenceID: String,
        owner: String,
        leaseMilliseconds: Int64,
        now: Int64
    ) async throws(StoreError) -> ResolutionClaim {
        try TransitionRules.checkLease(leaseMilliseconds, "resolution")
        let expires = TransitionRules.deadline(now, plus: leaseMilliseconds)
        return try await transaction("claimForResolution \(referenceID)") { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT status, lease_owner, lease_expires_at FROM payouts WHERE reference_id = ?",
                    arguments: [referenceID]
                )
            else { return .rollback(.notFound) }
            let status = try PayoutStatus(stored: row[0])
            guard status == .requiresReview else {
                return .rollback(.notUnderReview(status: status))
            }
            if let holder = row[1] as String?, let until = row[2] as Int64?, until > now {
                return .rollback(.busy(owner: holder, until: until))
            }
            guard
                let claimed = try Row.fetchOne(
                    db,
                    sql: """
                        UPDATE payouts SET lease_owner = ?, lease_expires_at = ? WHERE reference_id = ?
                        RETURNING \(SQLiteRecords.payoutColumns)
                        """,
                    arguments: [owner, expires, referenceID]
                )
            else { throw StoreError(.corrupt, "payout \(referenceID) vanished while claimed") }
            return .commit(.claimed(try SQLiteRecords.payout(claimed)))
        }
    }

    func listPayouts(status: PayoutStatus?, since: Int64?, limit: Int) async throws(StoreError) -> [PayoutListing] {
        let status = status?.rawValue
        return try await read("listPayouts") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(StoreSQL.qualified(SQLiteRecords.payoutColumns, "p")), e.occurred_at, h.amount_minor
                    FROM payouts p
                    JOIN payout_events e ON e.reference_id = p.reference_id AND e.sequence = p.sequence
                    LEFT JOIN holds h ON h.reference_id = p.reference_id AND h.state = 'pending'
                    WHERE (? IS NULL OR p.status = ?) AND (? IS NULL OR p.created_at >= ?)
                    ORDER BY p.status = 'REQUIRES_REVIEW' DESC,
                             CASE WHEN p.status = 'REQUIRES_REVIEW' THEN e.occurred_at END,
                             p.created_at DESC, p.reference_id
                    LIMIT ?
                    """,
                arguments: [status, status, since, since, limit]
            )
            return try rows.map { row in
                PayoutListing(payout: try SQLiteRecords.payout(row), latestEventAt: row[15], heldMinor: row[16])
            }
        }
    }

    func reviewQueue() async throws(StoreError) -> ReviewQueueSummary {
        try await read("reviewQueue") { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*), min(e.occurred_at) FROM payouts p
                    JOIN payout_events e ON e.reference_id = p.reference_id AND e.sequence = p.sequence
                    WHERE p.status = 'REQUIRES_REVIEW'
                    """
            )
            return ReviewQueueSummary(count: row?[0] ?? 0, oldestSince: row?[1])
        }
    }

    func auditRecords(referenceID: String?, limit: Int) async throws(StoreError) -> [ResolutionAudit] {
        try await read("auditRecords") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM (
                        SELECT id, reference_id, kind, actor, note, provider_answer, status_before, status_after, ledger, forced, recorded_at
                        FROM payout_audit WHERE (? IS NULL OR reference_id = ?) ORDER BY id DESC LIMIT ?
                    ) ORDER BY id
                    """,
                arguments: [referenceID, referenceID, limit]
            )
            return try rows.map { row throws(StoreError) in
                let kind: String = row[2]
                guard let parsed = ResolutionAudit.Kind(rawValue: kind) else {
                    throw StoreError(.corrupt, "audit record \(row[0] as Int64) has unknown kind '\(kind)'")
                }
                return ResolutionAudit(
                    id: row[0],
                    referenceID: row[1],
                    kind: parsed,
                    actor: row[3],
                    note: row[4],
                    providerAnswer: row[5],
                    statusBefore: try PayoutStatus(stored: row[6]),
                    statusAfter: try PayoutStatus(stored: row[7]),
                    ledger: row[8],
                    forced: row[9],
                    recordedAt: row[10]
                )
            }
        }
    }

    func resolutionCounts() async throws(StoreError) -> [ResolutionAudit.Kind: Int] {
        try await read("resolutionCounts") { db in
            var counts: [ResolutionAudit.Kind: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kind, count(*) FROM payout_audit GROUP BY kind") {
                if let kind = ResolutionAudit.Kind(rawValue: row[0]) { counts[kind] = row[1] }
            }
            return counts
        }
    }

    static func appendAudit(_ db: Database, _ audit: ResolutionAudit) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO payout_audit (reference_id, kind, actor, note, provider_answer, status_before, status_after, ledger, forced, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            audit.referenceID, audit.kind.rawValue, audit.actor, audit.note, audit.providerAnswer,
            audit.statusBefore.rawValue, audit.statusAfter.rawValue, audit.ledger, audit.forced, audit.recordedAt,
        ])
    }
}
