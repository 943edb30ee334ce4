import GRDB

/// Column lists and row decoding shared by the SQLite store's statements. Rows are read by
/// position (the order of the column lists below), which is cheaper than by name on hot paths.
enum SQLiteRecords {
    static let payoutColumns = """
        reference_id, fingerprint, amount_minor, currency, status, is_final, reason_code, state, \
        sequence, attempts, next_attempt_at, lease_owner, lease_expires_at, created_at, updated_at
        """

    static func payout(_ row: Row) throws(StoreError) -> StoredPayout {
        StoredPayout(
            referenceID: row[0],
            fingerprint: row[1],
            amountMinor: row[2],
            currency: row[3],
            status: try PayoutStatus(stored: row[4]),
            isFinal: row[5],
            reasonCode: row[6],
            state: row[7],
            sequence: row[8],
            attempts: row[9],
            nextAttemptAt: row[10],
            leaseOwner: row[11],
            leaseExpiresAt: row[12],
            createdAt: row[13],
            updatedAt: row[14]
        )
    }

    static let eventColumns = "reference_id, sequence, status, payload, occurred_at, trace_parent"

    static func event(_ row: Row, from index: Int = 0) throws(StoreError) -> StoredEvent {
        StoredEvent(
            referenceID: row[index],
            sequence: row[index + 1],
            status: try PayoutStatus(stored: row[index + 2]),
            payload: row[index + 3],
            occurredAt: row[index + 4],
            traceParent: row[index + 5]
        )
    }

    static func hold(_ row: Row) throws(StoreError) -> StoredHold {
        let raw: String = row[3]
        guard let state = StoredHold.State(rawValue: raw) else {
            throw StoreError(.corrupt, "hold of \(row[0] as String) has unknown state '\(raw)'")
        }
        return StoredHold(
            referenceID: row[0],
            walletID: row[1],
            amountMinor: row[2],
            state: state,
            settledMinor: row[4]
        )
    }
}
