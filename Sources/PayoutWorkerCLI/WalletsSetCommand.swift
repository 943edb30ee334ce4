import ArgumentParser
import CommandSupport
import DollrClient
import PayoutEngine

/// `payout-worker wallets set <wallet_id> <currency> <balance>`.
struct WalletsSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Declares (or re-declares) a wallet's balance.",
        discussion: """
            The balance is exact decimal text in major units (100, 100.5, 100.50), with at most the \
            currency's minor digits; nothing is rounded. Pending holds are kept: available balance is \
            the new balance minus them. Prints the wallet as `wallets list` does.
            """
    )

    @Argument(help: "Wallet id, e.g. usd-main.")
    var walletID: String

    @Argument(help: "ISO 4217 currency code, e.g. USD.")
    var currency: String

    @Argument(help: "Balance in major units, e.g. 25000.00.")
    var balance: String

    @OptionGroup var store: ConfiguredStoreOptions

    /// Checked before the store is opened, so a bad argument is a usage error (exit 64).
    func validate() throws {
        guard !self.walletID.isEmpty, !self.walletID.contains(where: \.isWhitespace) else {
            throw ValidationError("wallet id must be non-empty and without spaces")
        }
        _ = try self.parsedBalance()
    }

    private func parsedBalance() throws(ValidationError) -> Money {
        let code: CurrencyCode
        do {
            code = try CurrencyCode(self.currency.uppercased())
        } catch {
            throw ValidationError("currency '\(self.currency)': \(error.description)")
        }
        do {
            return try Money(parsing: self.balance, currency: code)
        } catch {
            throw ValidationError("balance '\(self.balance)': \(error.description)")
        }
    }

    func run() async throws {
        let amount = try self.parsedBalance()
        let walletID = self.walletID
        let wallets = try await self.store.withStore { store in
            try await store.setWallet(
                id: walletID,
                currency: amount.currency.code,
                balanceMinor: amount.minorUnits,
                now: StoreClock.system.now()
            )
            return try await store.wallets().filter { $0.walletID == walletID }
        }
        for line in WalletsListCommand.table(wallets).lines { StandardOutput.writeLine(line) }
    }
}
