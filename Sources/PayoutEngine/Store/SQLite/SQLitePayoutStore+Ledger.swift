import GRDB
import Logging

// The ledger: wallet balances and the holds placed, posted and voided in the writer's transaction.
extension SQLitePayoutStore {
    // MARK: - Wallets

    func setWallet(id: String, currency: String, balanceMinor: Int64, now: Int64) async throws(StoreError) {
        try await transaction("setWallet \(id)") { db in
            if let existing = try String.fetchOne(
                db,
                sql: "SELECT currency FROM wallets WHERE wallet_id = ?",
                arguments: [id]
            ), existing != currency {
                throw StoreError(.conflict, "wallet \(id) holds \(existing); it cannot be re-declared as \(currency)")
            }
            if let other = try String.fetchOne(
                db,
                sql: "SELECT wallet_id FROM wallets WHERE currency = ? AND wallet_id <> ?",
                arguments: [currency, id]
            ) {
                throw StoreError(
                    .conflict,
                    "currency \(currency) already belongs to wallet \(other); one wallet per currency"
                )
            }
            try db.execute(
                sql: """
                    INSERT INTO wallets (wallet_id, currency, balance_minor, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (wallet_id) DO UPDATE SET balance_minor = excluded.balance_minor, updated_at = excluded.updated_at
                    """,
                arguments: [id, currency, balanceMinor, now]
            )
            return .commit(())
        }
    }

    func wallets() async throws(StoreError) -> [WalletBalance] {
        try await read("wallets") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT w.wallet_id, w.currency, w.balance_minor,
                        COALESCE((SELECT SUM(h.amount_minor) FROM holds h WHERE h.wallet_id = w.wallet_id AND h.state = 'pending'), 0)
                    FROM wallets w ORDER BY w.currency
                    """
            ).map { WalletBalance(walletID: $0[0], currency: $0[1], balanceMinor: $0[2], heldMinor: $0[3]) }
        }
    }

    /// The result to roll back with when the ledger refuses the operation, nil once it is written.
    static func applyLedger(
        _ db: Database,
        _ ledger: LedgerOperation,
        referenceID ref: String,
        now: Int64,
        logger: Logger
    ) throws -> TransitionResult? {
        switch ledger {
        case .none:
            return nil
        case .hold(let currency, let amount):
            return try placeHold(db, referenceID: ref, currency: currency, amountMinor: amount, now: now)
        case .post(let debited):
            try postHold(db, referenceID: ref, debitedMinor: debited, now: now, logger: logger)
            return nil
        case .void:
            try voidHold(db, referenceID: ref, now: now)
            return nil
        }
    }

    private static func placeHold(
        _ db: Database,
        referenceID ref: String,
        currency: String,
        amountMinor amount: Int64,
        now: Int64
    ) throws -> TransitionResult? {
        guard
            let wallet = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT wallet_id, balance_minor FROM wallets WHERE currency = ?"),
                arguments: [currency]
            )
        else {
            return .walletUnknown
        }
        if let state = try String.fetchOne(
            db.cachedStatement(sql: "SELECT state FROM holds WHERE reference_id = ?"),
            arguments: [ref]
        ) {
            throw TransitionRules.alreadyHeld(ref, state: state)
        }
        let walletID: String = wallet[0]
        let balance: Int64 = wallet[1]
        let held =
            try Int64.fetchOne(
                db.cachedStatement(
                    sql: "SELECT COALESCE(SUM(amount_minor), 0) FROM holds WHERE wallet_id = ? AND state = 'pending'"
                ),
                arguments: [walletID]
            ) ?? 0
        let available = balance - held
        guard available >= amount else { return .insufficientFunds(availableMinor: available) }
        try db.cachedStatement(
            sql: """
                INSERT INTO holds (reference_id, wallet_id, amount_minor, state, settled_minor, created_at, updated_at)
                VALUES (?, ?, ?, 'pending', NULL, ?, ?)
                """
        ).execute(arguments: [ref, walletID, amount, now, now])
        return nil
    }

    private static func postHold(
        _ db: Database,
        referenceID ref: String,
        debitedMinor debited: Int64,
        now: Int64,
        logger: Logger
    ) throws {
        let hold = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT wallet_id, amount_minor, state FROM holds WHERE reference_id = ?"),
            arguments: [ref]
        )
        guard let hold, (hold[2] as String) == StoredHold.State.pending.rawValue else {
            throw TransitionRules.noPendingHold(ref, operation: "post", state: hold?[2])
        }
        let amount: Int64 = hold[1]
        if debited > amount {
            // The provider's word is the truth about the wallet; record it, loudly.
            logger.warning(
                "posted debit exceeds the hold",
                metadata: ["reference_id": "\(ref)", "held_minor": "\(amount)", "debited_minor": "\(debited)"]
            )
        }
        try db.cachedStatement(
            sql: "UPDATE holds SET state = 'posted', settled_minor = ?, updated_at = ? WHERE reference_id = ?"
        )
        .execute(arguments: [debited, now, ref])
        try db.cachedStatement(
            sql: "UPDATE wallets SET balance_minor = balance_minor - ?, updated_at = ? WHERE wallet_id = ?"
        )
        .execute(arguments: [debited, now, hold[0] as String])
    }

    private static func voidHold(_ db: Database, referenceID ref: String, now: Int64) throws {
        let state = try String.fetchOne(
            db.cachedStatement(sql: "SELECT state FROM holds WHERE reference_id = ?"),
            arguments: [ref]
        )
        guard state == StoredHold.State.pending.rawValue else {
            throw TransitionRules.noPendingHold(ref, operation: "void", state: state)
        }
        try db.cachedStatement(sql: "UPDATE holds SET state = 'voided', updated_at = ? WHERE reference_id = ?").execute(
            arguments: [now, ref])
    }
}
