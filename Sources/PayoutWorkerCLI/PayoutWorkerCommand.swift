import ArgumentParser
import CommandSupport

/// The product: the service and the operator's commands. The lab (demo, bench, chaos, an embedded
/// broker, the Dollr sandbox) is another executable, `payout-lab`, which this one does not link.
@main
struct PayoutWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payout-worker",
        abstract:
            "Executes payout commands from Kafka against the Dollr mobile-money API, each at most once, with one terminal status.",
        subcommands: [
            RunCommand.self,
            ConsoleCommand.self,
            WalletsCommand.self,
            PayoutsCommand.self,
            AuditCommand.self,
            StoreCommand.self,
            EventsCommand.self,
            DeadLettersCommand.self,
        ]
    )

    /// The subcommands whose `run()` stops through a `SignalledStop`.
    static let signalledSubcommands: Set<String> = ["run", "console"]
}

/// Run by the loader once the libraries are initialised, before `main`: a subcommand that stops on
/// SIGTERM or SIGINT traps them here, so a signal in the process's first milliseconds (argument
/// parsing, the configuration, the async runtime starting) is kept as a stop instead of ending it
/// with status 143. glibc passes `argc`, `argv` and `envp` to these functions.
@section(".init_array") @used
private let trapSignalsBeforeMain:
    @convention(c) (
        Int32, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    ) -> Void = { argc, argv, _ in
        SignalTrap.installBeforeMain(argc: argc, argv: argv, subcommands: PayoutWorkerCommand.signalledSubcommands)
    }
