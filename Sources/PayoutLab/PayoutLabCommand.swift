import ArgumentParser
import CommandSupport
import Foundation

/// The lab around the product: the whole system embedded (`demo`), its figures (`bench`), its
/// proof under crashes and faults (`chaos`), and the stand-ins it runs against (`broker`,
/// `sandbox`). `bench` and `chaos` start the product, `payout-worker run`, from the binary
/// installed next to this one.
@main
struct PayoutLabCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payout-lab",
        abstract: "Runs, measures and breaks payout-worker on an embedded Kafka, the Dollr sandbox and local stores.",
        subcommands: [
            DemoCommand.self,
            BenchCommand.self,
            ChaosCommand.self,
            BrokerCommand.self,
            SandboxCommand.self,
        ]
    )

    /// The subcommands whose `run()` stops through a `SignalledStop`.
    static let signalledSubcommands: Set<String> = ["broker", "sandbox"]
}

/// Run by the loader before `main`, as `payout-worker`'s is: a signal that reaches `broker` or
/// `sandbox` while it is still starting is kept as a stop instead of ending it with status 143.
@section(".init_array") @used
private let trapSignalsBeforeMain:
    @convention(c) (
        Int32, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    ) -> Void = { argc, argv, _ in
        SignalTrap.installBeforeMain(argc: argc, argv: argv, subcommands: PayoutLabCommand.signalledSubcommands)
    }

/// The executables a lab command starts as child processes.
enum LabExecutables {
    /// This binary, `payout-lab`, for `broker` children.
    static var lab: URL { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath() }

    /// The product, `payout-worker`, from the directory this binary is in (the build directory, or
    /// /usr/local/bin in the lab image); fails with where it was looked for when it is missing.
    static func worker() throws -> URL {
        let worker = lab.deletingLastPathComponent().appendingPathComponent("payout-worker")
        guard FileManager.default.isExecutableFile(atPath: worker.path) else {
            throw CommandFailure(
                "no payout-worker executable at \(worker.path): this command runs worker processes from the "
                    + "binary next to payout-lab (swift build --product payout-worker)"
            )
        }
        return worker
    }
}
