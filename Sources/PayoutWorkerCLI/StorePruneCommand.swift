import ArgumentParser
import CommandSupport
import Logging
import PayoutEngine

/// `payout-worker store`: maintenance of the configured store.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Maintains the configured store.",
        subcommands: [StorePruneCommand.self]
    )
}

/// `payout-worker store prune [--dry-run]`: one retention pass, as the workers run every `retention.interval_ms`.
struct StorePruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Deletes what retention lets go and scrubs terminal payouts' recipient details, batch by batch.",
        discussion: """
            Sent outbox rows, events older than retention.events_days except each payout's latest, and the \
            places of answered duplicates go; payout rows stay, since they are the idempotency record. \
            With --dry-run nothing changes: it prints what would go. The workers run the same pass every \
            retention.interval_ms.
            """
    )

    @Flag(help: "Count what would be pruned; change nothing.")
    var dryRun = false

    @OptionGroup var store: ConfiguredStoreOptions

    func run() async throws {
        let dryRun = self.dryRun
        let report = try await self.store.withConfiguredStore { configuration, store in
            let pruner = StorePruner(
                store: store,
                policy: configuration.retention.policy,
                logger: Logger(label: "payout-worker.prune")
            )
            return try await pruner.prune(now: StoreClock.system.now(), dryRun: dryRun)
        }
        var table = TextTable([("WHAT", .left), (dryRun ? "WOULD GO" : "PRUNED", .right)])
        for target in PruneTarget.allCases { table.append([target.rawValue, String(report.deleted[target] ?? 0)]) }
        table.append(["recipient details", String(report.scrubbed)])
        for line in table.lines { StandardOutput.writeLine(line) }
    }
}
