import ArgumentParser

/// `payout-worker wallets`: the wallet balances the ledger checks payouts against.
struct WalletsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wallets",
        abstract: "Declares and lists wallet balances in the configured store.",
        discussion: """
            Dollr has no balance endpoint, so the operator declares each wallet's balance; every payout \
            places a hold on it before Dollr hears of it. One wallet per currency.
            """,
        subcommands: [WalletsSetCommand.self, WalletsListCommand.self]
    )
}
