import ArgumentParser
import Glibc

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

/// Run by the loader once the libraries are initialised, before `main`: a subcommand that stops on
/// SIGTERM or SIGINT traps them here, so a signal in the process's first milliseconds (argument
/// parsing, the configuration, the async runtime starting) is kept as a stop instead of ending it
/// with status 143. glibc passes `argc`, `argv` and `envp` to these functions; a test bundle that
/// links this module has no subcommand in `argv[1]` and traps nothing.
@section(".init_array") @used
private let trapSignalsBeforeMain:
    @convention(c) (
        Int32, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    ) -> Void = { argc, argv, _ in
        guard argc > 1, let argv, let subcommand = argv[1] else { return }
        if SignalledStop.subcommands.contains(String(cString: subcommand)) { SignalTrap.install() }
    }
