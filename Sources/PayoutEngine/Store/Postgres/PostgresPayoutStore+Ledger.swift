import Logging
import PostgresNIO

// The ledger: wallet balances and the holds placed, posted and voided under the wallet's row lock.
extension PostgresPayoutStore {
    // MARK: - Wallets

    func setWallet(id: String, currency: String, balanceMinor: Int64, now: Int64) async throws(StoreError) {
        try await transaction("setWallet \(id)") { [self] connection in
            let existing = try await connection.query("SELECT currency FROM wallets WHERE wallet_id = \(id) FOR UPDATE", logger: logger)
                .collect().first.map { try $0.decode(String.self) }
            if let existing, existing != currency {
                throw StoreError(.conflict, "wallet \(id) holds \(existing); it cannot be re-declared as \(currency)")
            }
            let other = try await connection.query(
                "SELECT wallet_id FROM wallets WHERE currency = \(currency) AND wallet_id <> \(id)", logger: logger
            ).collect().first.map { try $0.decode(String.self) }
            if let other {
                throw StoreError(.conflict, "currency \(currency) already belongs to wallet \(other); one wallet per currency")
            }
            try await connection.query("""
                INSERT INTO wallets (wallet_id, currency, balance_minor, updated_at) VALUES (\(id), \(currency), \(balanceMinor), \(now))
                ON CONFLICT (wallet_id) DO UPDATE SET balance_minor = excluded.balance_minor, updated_at = excluded.updated_at
                """, logger: logger)
            return .commit(())
        }
    }

    func wallets() async throws(StoreError) -> [WalletBalance] {
        try await read("wallets") { [self] connection in
            try await connection.query("""
                SELECT w.wallet_id, w.currency, w.balance_minor,
                    COALESCE((SELECT SUM(h.amount_minor) FROM holds h WHERE h.wallet_id = w.wallet_id AND h.state = 'pending'), 0)::BIGINT
                FROM wallets w ORDER BY w.currency
                """, logger: logger).collect().map { row in
                let (id, currency, balance, held) = try row.decode((String, String, Int64, Int64).self)
                return WalletBalance(walletID: id, currency: currency, balanceMinor: balance, heldMinor: held)
            }
        }
    }

    /// Applies the ledger operation; returns the refusal to report (and roll back), if any.
    func applyLedger(_ transition: PayoutTransition, now: Int64, on connection: PostgresConnection) async throws -> TransitionResult? {
        let ref = transition.referenceID
        switch transition.ledger {
        case .none:
            return nil
        case .hold(let currency, let amount):
            let wallet = try await connection.query(
                "SELECT wallet_id, balance_minor FROM wallets WHERE currency = \(currency) FOR UPDATE", logger: logger
            ).collect()
            guard let walletRow = wallet.first else { return .walletUnknown }
            let (walletID, balance) = try walletRow.decode((String, Int64).self)
            if let existing = try await connection.query("SELECT state FROM holds WHERE reference_id = \(ref)", logger: logger).collect().first {
                throw TransitionRules.alreadyHeld(ref, state: try existing.decode(String.self))
            }
            // A fresh snapshot taken after the wallet lock: includes every hold committed before it.
            let heldRows = try await connection.query("""
                SELECT COALESCE(SUM(amount_minor), 0)::BIGINT FROM holds WHERE wallet_id = \(walletID) AND state = 'pending'
                """, logger: logger).collect()
            let held = try heldRows.first?.decode(Int64.self) ?? 0
            let available = balance - held
            guard available >= amount else { return .insufficientFunds(availableMinor: available) }
            try await connection.query("""
                INSERT INTO holds (reference_id, wallet_id, amount_minor, state, settled_minor, created_at, updated_at)
                VALUES (\(ref), \(walletID), \(amount), 'pending', NULL, \(now), \(now))
                """, logger: logger)
            return nil
        case .post(let debited):
            let hold = try await connection.query(
                "SELECT wallet_id, amount_minor, state FROM holds WHERE reference_id = \(ref)", logger: logger
            ).collect().first.map { try $0.decode((String, Int64, String).self) }
            guard let hold, hold.2 == StoredHold.State.pending.rawValue else {
                throw TransitionRules.noPendingHold(ref, operation: "post", state: hold?.2)
            }
            if debited > hold.1 {
                // The provider's word is the truth about the wallet; record it, loudly.
                logger.warning("posted debit exceeds the hold", metadata: ["reference_id": "\(ref)", "held_minor": "\(hold.1)", "debited_minor": "\(debited)"])
            }
            try await connection.query(
                "UPDATE holds SET state = 'posted', settled_minor = \(debited), updated_at = \(now) WHERE reference_id = \(ref)", logger: logger
            )
            try await connection.query(
                "UPDATE wallets SET balance_minor = balance_minor - \(debited), updated_at = \(now) WHERE wallet_id = \(hold.0)", logger: logger
            )
            return nil
        case .void:
            let state = try await connection.query("SELECT state FROM holds WHERE reference_id = \(ref)", logger: logger)
                .collect().first.map { try $0.decode(String.self) }
            guard state == StoredHold.State.pending.rawValue else {
                throw TransitionRules.noPendingHold(ref, operation: "void", state: state)
            }
            try await connection.query("UPDATE holds SET state = 'voided', updated_at = \(now) WHERE reference_id = \(ref)", logger: logger)
            return nil
        }
    }
}
