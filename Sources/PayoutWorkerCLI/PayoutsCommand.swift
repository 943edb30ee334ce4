import ArgumentParser

/// `payout-worker payouts`: what the store knows about payouts, for operators.
struct PayoutsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payouts",
        abstract: "Inspects payouts in the configured store, and resolves those under review.",
        subcommands: [PayoutsListCommand.self, PayoutsShowCommand.self, PayoutsResolveCommand.self]
    )
}
