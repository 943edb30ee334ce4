import ArgumentParser

/// The one executable: every way to run the project is a subcommand of `payout-worker`.
@main
struct PayoutWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payout-worker",
        abstract: "Executes payout commands from Kafka exactly once against the Dollr mobile-money API.",
        subcommands: [
            RunCommand.self,
            ConsoleCommand.self,
            DemoCommand.self,
            BrokerCommand.self,
            SandboxCommand.self,
            WalletsCommand.self,
            PayoutsCommand.self,
            AuditCommand.self,
            StoreCommand.self,
            EventsCommand.self,
            DeadLettersCommand.self,
            BenchCommand.self,
            ChaosCommand.self,
        ]
    )
}
