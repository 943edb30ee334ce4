public import Logging

/// How long the store keeps what it does not need for idempotency. Payout rows stay for good:
/// they are what makes a late duplicate a duplicate.
public struct RetentionPolicy: Sendable, Hashable {
    /// Outbox rows are deleted this long after the broker acknowledged them (0: at the next round).
    public var outboxMilliseconds: Int64 = 0
    /// Status events older than this are deleted, except each payout's latest; so are the places
    /// of answered duplicates and rejections (a topic keeps its records for less than this).
    public var eventsMilliseconds: Int64 = 90 * 86_400_000
    /// A terminal payout's recipient details (name, phone, account) and metadata are removed from
    /// its stored state this long after it ended.
    public var recipientDetailsMilliseconds: Int64 = 30 * 86_400_000
    /// Rows per statement: each round holds the writer for one small batch at a time.
    public var batchSize = 500

    public init() {}
}

/// What one pruning pass did, or with a dry run would do: rows per table, and payouts scrubbed.
public struct PruneReport: Sendable, Hashable {
    public var deleted: [PruneTarget: Int] = [:]
    public var scrubbed = 0

    public init() {}
}

/// Applies a ``RetentionPolicy`` to a store in small batches, so that pruning never holds the
/// writer for long and a worker can run it beside its real work.
public struct StorePruner: Sendable {
    public let store: any PayoutStore
    public let policy: RetentionPolicy
    let logger: Logger

    public init(store: any PayoutStore, policy: RetentionPolicy, logger: Logger) {
        self.store = store
        self.policy = policy
        self.logger = logger
    }

    /// Prunes everything due at `now`, batch by batch, until nothing is left or `maximumBatches`
    /// statements have run for a kind. With `dryRun` it only counts.
    public func prune(
        now: Int64,
        dryRun: Bool = false,
        maximumBatches: Int = .max
    ) async throws(StoreError) -> PruneReport {
        var report = PruneReport()
        let cutoffs: [(PruneTarget, Int64)] = [
            // The outbox first: an event an outbox row points at is not pruned.
            (.sentOutbox, now - policy.outboxMilliseconds), (.events, now - policy.eventsMilliseconds),
            (.intakeSources, now - policy.eventsMilliseconds),
        ]
        for (target, before) in cutoffs {
            if dryRun {
                report.deleted[target] = try await store.prune(
                    target,
                    before: before,
                    limit: policy.batchSize,
                    dryRun: true
                )
                continue
            }
            var total = 0
            var batches = 0
            while batches < maximumBatches {
                let deleted = try await store.prune(target, before: before, limit: policy.batchSize, dryRun: false)
                total += deleted
                batches += 1
                if deleted < policy.batchSize { break }
            }
            report.deleted[target] = total
        }
        report.scrubbed = try await scrub(
            before: now - policy.recipientDetailsMilliseconds,
            now: now,
            dryRun: dryRun,
            maximumBatches: maximumBatches
        )
        return report
    }

    private func scrub(before: Int64, now: Int64, dryRun: Bool, maximumBatches: Int) async throws(StoreError) -> Int {
        if dryRun { return try await store.countPayoutsToScrub(before: before) }
        var total = 0
        var batches = 0
        while batches < maximumBatches {
            let due = try await store.payoutsToScrub(before: before, limit: policy.batchSize)
            for payout in due {
                guard let scrubbed = PayoutState.withoutRecipientDetails(payout.state) else {
                    logger.error(
                        "payout state is unreadable or not finished; its recipient details were not scrubbed",
                        metadata: ["reference_id": "\(payout.referenceID)"]
                    )
                    continue
                }
                if try await store.markScrubbed(referenceID: payout.referenceID, state: scrubbed, now: now) {
                    total += 1
                }
            }
            batches += 1
            if due.count < policy.batchSize { break }
        }
        return total
    }
}
