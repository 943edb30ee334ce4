import ArgumentParser
import CommandSupport
import DollrClient
import PayoutEngine

/// `payout-worker wallets list`.
struct WalletsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Lists every wallet: declared balance, pending holds and available balance.",
        discussion: "Prints `no wallets declared` when there are none."
    )

    @OptionGroup var store: ConfiguredStoreOptions

    func run() async throws {
        let wallets = try await self.store.withStore { store in try await store.wallets() }
        guard !wallets.isEmpty else {
            StandardOutput.writeLine("no wallets declared")
            return
        }
        for line in Self.table(wallets).lines { StandardOutput.writeLine(line) }
    }

    static func table(_ wallets: [WalletBalance]) -> TextTable {
        var table = TextTable([
            ("WALLET", .left), ("CURRENCY", .left), ("BALANCE", .right), ("HELD", .right), ("AVAILABLE", .right),
        ])
        for wallet in wallets {
            table.append([
                wallet.walletID, wallet.currency, Self.amount(wallet.balanceMinor, wallet.currency),
                Self.amount(wallet.heldMinor, wallet.currency), Self.amount(wallet.availableMinor, wallet.currency),
            ])
        }
        return table
    }

    /// Major-unit text from minor units; a currency the store holds but we cannot parse shows raw minor units.
    static func amount(_ minorUnits: Int64, _ currency: String) -> String {
        decimal(minorUnits, currency)
    }

    /// The decimal text of an amount in its currency's minor digits (`10.30`), for tables and JSON alike.
    static func decimal(_ minorUnits: Int64, _ currency: String) -> String {
        guard let code = try? CurrencyCode(currency) else { return "\(minorUnits) (minor units)" }
        return Money(minorUnits: minorUnits, currency: code).description
    }
}
