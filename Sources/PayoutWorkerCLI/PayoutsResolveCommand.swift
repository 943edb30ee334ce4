import ArgumentParser
import CommandSupport
import Foundation
import Logging
import PayoutEngine
import PayoutWorker

/// `payout-worker payouts resolve <reference_id> --as COMPLETED|FAILED --note TEXT`.
struct PayoutsResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Resolves a payout under REQUIRES_REVIEW as COMPLETED (the hold is posted) or FAILED (it is voided).",
        discussion: """
            Dollr is asked first. If its answer contradicts yours (it says COMPLETED and you say FAILED, or \
            the other way round), nothing is changed and both answers are printed; --force resolves it your \
            way anyway, and the audit record says so. The terminal event (reason OPERATOR_RESOLVED), the hold's \
            settlement and the audit record are written in one transaction; the workers publish the event. \
            Only REQUIRES_REVIEW payouts can be resolved. Exits 1 with the reason when it refuses.
            """
    )

    @Argument(help: "The payout's reference_id.")
    var referenceID: String

    @Option(name: .customLong("as"), help: ArgumentHelp("COMPLETED or FAILED.", valueName: "status"))
    var resolution: String

    @Option(help: ArgumentHelp("Why: what you checked and what you found. Kept in the audit log.", valueName: "text"))
    var note: String

    @Option(name: .customLong("operator"), help: ArgumentHelp("Who resolves it (default: $USER).", valueName: "name"))
    var operatorName: String?

    @Flag(help: "Resolve it your way even if Dollr's answer contradicts it.")
    var force = false

    @OptionGroup var store: ConfiguredStoreOptions

    /// The outcome `--as` names, in any case: COMPLETED or FAILED, nothing else.
    private var outcome: PayoutStatus? {
        PayoutStatus(rawValue: resolution.uppercased()).flatMap { $0 == .completed || $0 == .failed ? $0 : nil }
    }

    private var unsupportedOutcome: ValidationError {
        ValidationError("--as \(resolution): a payout under review is resolved as COMPLETED or FAILED")
    }

    func validate() throws {
        _ = try ReferenceID.argument(referenceID, "reference_id")
        guard outcome != nil else { throw unsupportedOutcome }
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("--note must say why the payout is resolved this way")
        }
    }

    func run() async throws {
        guard let status = outcome else { throw unsupportedOutcome }
        let referenceID = try ReferenceID.argument(self.referenceID, "reference_id")
        let actor = operatorName ?? ProcessInfo.processInfo.environment["USER"] ?? "operator"
        let (note, force) = (self.note, self.force)
        let audit = try await self.store.withConfiguredStore { configuration, store in
            let logger = Logger(label: "payout-worker.resolve")
            let dollr = PayoutWorkerRuntime.dollrClient(configuration, logger: logger)
            let engine = PayoutEngine(
                store: store,
                dollr: dollr,
                configuration: PayoutWorkerRuntime.engineConfiguration(configuration, owner: "operator"),
                logger: logger
            )
            do {
                let audit = try await engine.resolveReview(
                    referenceID: referenceID,
                    as: status,
                    note: note,
                    operator: actor,
                    force: force
                )
                try? await dollr.shutdown()
                return audit
            } catch {
                try? await dollr.shutdown()
                throw CommandFailure("\(error)")
            }
        }
        StandardOutput.writeLine(
            "resolved \(audit.referenceID) as \(audit.statusAfter.rawValue) (Dollr: \(audit.providerAnswer)); hold \(audit.ledger); "
                + "audit record written\(audit.forced ? "; forced over Dollr's answer" : "")"
        )
    }
}
