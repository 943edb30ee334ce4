import Logging
import PostgresNIO

// The ledger's wallets. Holds are placed, posted and voided by `payout_step` (PostgresEngineStep).
extension PostgresPayoutStore {
    // MARK: - Wallets

    func setWallet(id: String, currency: String, balanceMinor: Int64, now: Int64) async throws(StoreError) {
        try await transaction("setWallet \(id)") { [self] connection in
            let existing = try await connection.query(
                "SELECT currency FROM wallets WHERE wallet_id = \(id) FOR UPDATE",
                logger: logger
            )
            .collect().first.map { try $0.decode(String.self) }
            if let existing, existing != currency {
                throw StoreError(.conflict, "wallet \(id) holds \(existing); it cannot be re-declared as \(currency)")
            }
            let other = try await connection.query(
                "SELECT wallet_id FROM wallets WHERE currency = \(currency) AND wallet_id <> \(id)",
                logger: logger
            ).collect().first.map { try $0.decode(String.self) }
            if let other {
                throw StoreError(
                    .conflict,
                    "currency \(currency) already belongs to wallet \(other); one wallet per currency"
                )
            }
            try await connection.query(
                """
                INSERT INTO wallets (wallet_id, currency, balance_minor, updated_at) VALUES (\(id), \(currency), \(balanceMinor), \(now))
                ON CONFLICT (wallet_id) DO UPDATE SET balance_minor = excluded.balance_minor, updated_at = excluded.updated_at
                """,
                logger: logger
            )
            return .commit(())
        }
    }

    func wallets() async throws(StoreError) -> [WalletBalance] {
        try await read("wallets") { [self] connection in
            try await connection.query(
                """
                SELECT w.wallet_id, w.currency, w.balance_minor,
                    COALESCE((SELECT SUM(h.amount_minor) FROM holds h WHERE h.wallet_id = w.wallet_id AND h.state = 'pending'), 0)::BIGINT
                FROM wallets w ORDER BY w.currency
                """,
                logger: logger
            ).collect().map { row in
                let (id, currency, balance, held) = try row.decode((String, String, Int64, Int64).self)
                return WalletBalance(walletID: id, currency: currency, balanceMinor: balance, heldMinor: held)
            }
        }
    }
}
