import Logging
import PayoutEngine
import ServiceLifecycle

/// Prunes the store on a timer: sent outbox rows, old events, old intake places, and terminal
/// payouts' recipient details (see `RetentionPolicy`). Each statement touches one small batch, so
/// intake and the engine never wait on it for long. With several workers on PostgreSQL each prunes,
/// and its statements skip the rows another transaction holds.
struct RetentionService: Service {
    let pruner: StorePruner
    let metrics: WorkerMetrics
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await pass()
            }
        }
    }

    func pass() async {
        do {
            // Bounded per pass: a large backlog is worked off over several passes.
            let report = try await pruner.prune(now: StoreClock.system.now(), maximumBatches: 20)
            metrics.pruned(report)
            metrics.storeRows(try await pruner.store.tableRowCounts())
            if report.deleted.values.contains(where: { $0 > 0 }) || report.scrubbed > 0 {
                logger.info(
                    "store pruned",
                    metadata: [
                        "outbox": "\(report.deleted[.sentOutbox] ?? 0)", "events": "\(report.deleted[.events] ?? 0)",
                        "intake_sources": "\(report.deleted[.intakeSources] ?? 0)",
                        "recipients_scrubbed": "\(report.scrubbed)",
                    ]
                )
            }
        } catch {
            logger.warning("pruning the store failed; the next pass tries again", metadata: ["error": "\(error)"])
        }
    }
}
