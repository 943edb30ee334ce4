import DollrClient
import DollrSandbox
import PayoutEngine

/// A chaos run's verdict: every ``Invariant`` it can judge, checked against ground truth (the
/// sandbox's ledger, the status and dead-letter topics as a plain consumer read them, the store),
/// and the figures of what happened.
struct ChaosVerdict {
    var figures: [(String, Int)] = []
    var violations: [String] = []

    static func check(
        workload: CommandWorkload,
        downstream: DownstreamObserver.Snapshot,
        ledger: SandboxLedgerSnapshot,
        store: any PayoutStore,
        opening: [(currency: CurrencyCode, balanceMinor: Int64)],
        workerExits: [Int32],
        workersKilled: Bool
    ) async throws -> ChaosVerdict {
        let evidence = try await RunEvidence.gather(
            workload: workload,
            downstream: downstream,
            ledger: ledger,
            store: store,
            opening: opening,
            workerExits: workerExits,
            workersKilled: workersKilled
        )
        return ChaosVerdict(figures: Self.figures(evidence), violations: InvariantVerdict(evidence).violations)
    }

    /// What Dollr executed, how the payouts ended, and what downstream read.
    static func figures(_ evidence: RunEvidence) -> [(String, Int)] {
        let (workload, downstream, ledger) = (evidence.workload, evidence.downstream, evidence.ledger)
        var byStatus: [String: Int] = [:]
        for case (_, let final?) in evidence.finals { byStatus[final, default: 0] += 1 }
        let rejected = workload.rejectedReferences.filter { downstream.finals[$0]?.first == "REJECTED" }.count
        let beyondDuplicates = max(0, downstream.repeated - workload.count(.duplicate))
        return [
            ("executions", ledger.executions.filter(\.accepted).count),
            ("completed", byStatus["COMPLETED", default: 0]),
            ("failed", byStatus["FAILED", default: 0]),
            ("requires_review", byStatus["REQUIRES_REVIEW", default: 0]),
            ("rejected", rejected),
            ("dead_letters", downstream.deadLetters),
            ("refused_duplicate_executes", ledger.executions.map(\.duplicateExecuteCalls).reduce(0, +)),
            ("events", downstream.events),
            ("repeated_events", downstream.repeated),
            // Each identical duplicate command is answered by its latest event again; every other
            // repeat is a record the worker published twice (a relay killed between a send and its
            // bookkeeping). Per ten thousand status records, so it prints as an integer.
            ("repeats_beyond_duplicates", beyondDuplicates),
            (
                "repeats_beyond_duplicates_per_10000",
                downstream.events == 0 ? 0 : beyondDuplicates * 10_000 / downstream.events
            ),
            ("reader_rereads", downstream.reread),
        ]
    }
}
