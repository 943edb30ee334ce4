import PostgresNIO

/// Column lists and row decoding shared by the PostgreSQL store's queries (by position, in the
/// order of the column lists).
enum PostgresRecords {
    static let payoutColumns = """
        reference_id, fingerprint, amount_minor, currency, status, is_final, reason_code, state, \
        sequence, attempts, next_attempt_at, lease_owner, lease_expires_at, created_at, updated_at
        """

    static func payout(_ row: PostgresRow) throws -> StoredPayout {
        let (
            referenceID, fingerprint, amountMinor, currency, status, isFinal, reasonCode, state,
            sequence, attempts, nextAttemptAt, leaseOwner, leaseExpiresAt, createdAt, updatedAt
        ) = try row.decode(
            (
                String, String, Int64, String, String, Bool, String?, String, Int, Int, Int64, String?, Int64?, Int64,
                Int64
            ).self
        )
        return StoredPayout(
            referenceID: referenceID,
            fingerprint: fingerprint,
            amountMinor: amountMinor,
            currency: currency,
            status: try PayoutStatus(stored: status),
            isFinal: isFinal,
            reasonCode: reasonCode,
            state: state,
            sequence: sequence,
            attempts: attempts,
            nextAttemptAt: nextAttemptAt,
            leaseOwner: leaseOwner,
            leaseExpiresAt: leaseExpiresAt,
            createdAt: createdAt,
            updatedAt: updatedAt
        )
    }

    static let eventColumns = "reference_id, sequence, status, payload, occurred_at, trace_parent"

    static func event(_ row: PostgresRow) throws -> StoredEvent {
        let (referenceID, sequence, status, payload, occurredAt, traceParent) = try row.decode(
            (String, Int, String, String, Int64, String?).self
        )
        return StoredEvent(
            referenceID: referenceID,
            sequence: sequence,
            status: try PayoutStatus(stored: status),
            payload: payload,
            occurredAt: occurredAt,
            traceParent: traceParent
        )
    }

    static func hold(_ row: PostgresRow) throws -> StoredHold {
        let (referenceID, walletID, amountMinor, raw, settledMinor) = try row.decode(
            (String, String, Int64, String, Int64?).self
        )
        guard let state = StoredHold.State(rawValue: raw) else {
            throw StoreError(.corrupt, "hold of \(referenceID) has unknown state '\(raw)'")
        }
        return StoredHold(
            referenceID: referenceID,
            walletID: walletID,
            amountMinor: amountMinor,
            state: state,
            settledMinor: settledMinor
        )
    }
}
