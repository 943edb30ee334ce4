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
    /// Runs after the payout's row is locked (the global lock order: payout, then wallet), in one
    /// statement per operation except a hold, which first locks its wallet on its own: only a
    /// statement that starts after that lock is granted has a snapshot with every hold committed
    /// before it, so the sum of pending holds it checks is exact.
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
            let outcome = try await connection.query("""
                WITH existing AS (SELECT state FROM holds WHERE reference_id = \(ref)),
                held AS (SELECT COALESCE(SUM(amount_minor), 0)::BIGINT AS minor FROM holds WHERE wallet_id = \(walletID) AND state = 'pending'),
                inserted AS (
                    INSERT INTO holds (reference_id, wallet_id, amount_minor, state, settled_minor, created_at, updated_at)
                    SELECT \(ref), \(walletID), \(amount), 'pending', NULL, \(now), \(now) FROM held
                    WHERE NOT EXISTS (SELECT 1 FROM existing) AND \(balance) - held.minor >= \(amount)
                    RETURNING 1
                )
                SELECT (SELECT state FROM existing), (SELECT minor FROM held), EXISTS (SELECT 1 FROM inserted)
                """, logger: logger).collect()
            guard let row = outcome.first else { throw StoreError(.corrupt, "the hold of \(ref) returned no outcome") }
            let (existing, held, inserted) = try row.decode((String?, Int64, Bool).self)
            if let existing { throw TransitionRules.alreadyHeld(ref, state: existing) }
            return inserted ? nil : .insufficientFunds(availableMinor: balance - held)
        case .post(let debited):
            // Sibling CTEs share one snapshot: `hold` is the row as it was before `posted` changed it.
            let rows = try await connection.query("""
                WITH hold AS (SELECT wallet_id, amount_minor, state FROM holds WHERE reference_id = \(ref)),
                posted AS (
                    UPDATE holds SET state = 'posted', settled_minor = \(debited), updated_at = \(now)
                    WHERE reference_id = \(ref) AND state = 'pending' RETURNING wallet_id
                ),
                debited AS (
                    UPDATE wallets SET balance_minor = balance_minor - \(debited), updated_at = \(now)
                    WHERE wallet_id = (SELECT wallet_id FROM posted)
                )
                SELECT amount_minor, state FROM hold
                """, logger: logger).collect()
            let hold = try rows.first.map { try $0.decode((Int64, String).self) }
            guard let hold, hold.1 == StoredHold.State.pending.rawValue else {
                throw TransitionRules.noPendingHold(ref, operation: "post", state: hold?.1)
            }
            if debited > hold.0 {
                // The provider's word is the truth about the wallet; record it, loudly.
                logger.warning("posted debit exceeds the hold", metadata: ["reference_id": "\(ref)", "held_minor": "\(hold.0)", "debited_minor": "\(debited)"])
            }
            return nil
        case .void:
            let rows = try await connection.query("""
                WITH hold AS (SELECT state FROM holds WHERE reference_id = \(ref)),
                voided AS (UPDATE holds SET state = 'voided', updated_at = \(now) WHERE reference_id = \(ref) AND state = 'pending')
                SELECT state FROM hold
                """, logger: logger).collect()
            let state = try rows.first.map { try $0.decode(String.self) }
            guard state == StoredHold.State.pending.rawValue else {
                throw TransitionRules.noPendingHold(ref, operation: "void", state: state)
            }
            return nil
        }
    }
}
