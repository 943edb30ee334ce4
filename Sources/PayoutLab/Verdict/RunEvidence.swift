import DollrClient
import DollrSandbox
import PayoutEngine

/// What a demo or chaos run left, read once its workers have stopped: the workload it published,
/// what downstream read on the status and dead-letter topics, the sandbox's ledger (what Dollr
/// executed and debited), and the store. ``Invariant`` judges it.
struct RunEvidence {
    var workload: CommandWorkload
    var downstream: DownstreamObserver.Snapshot
    var ledger: SandboxLedgerSnapshot
    /// Each unique payout's row and hold in the store, by reference_id.
    var stored: [String: (payout: StoredPayout?, hold: StoredHold?)]
    var storeWallets: [WalletBalance]
    /// The balances both ledgers, the worker's and Dollr's, opened with.
    var opening: [(currency: CurrencyCode, balanceMinor: Int64)]
    /// The exit status of each worker process stopped with SIGTERM; nil when the worker ran in the
    /// run's own process and was stopped by a call.
    var workerExits: [Int32]?
    /// A worker process was SIGKILLed: one killed between its execute call and recording it sends
    /// the call again on restart, for Dollr to refuse as a duplicate.
    var workersKilled: Bool

    /// Reads the store's side of the evidence; the rest is the caller's.
    static func gather(
        workload: CommandWorkload,
        downstream: DownstreamObserver.Snapshot,
        ledger: SandboxLedgerSnapshot,
        store: any PayoutStore,
        opening: [(currency: CurrencyCode, balanceMinor: Int64)],
        workerExits: [Int32]?,
        workersKilled: Bool
    ) async throws -> RunEvidence {
        RunEvidence(
            workload: workload,
            downstream: downstream,
            ledger: ledger,
            stored: try await Self.load(workload.uniquePayouts.map(\.referenceID), from: store),
            storeWallets: try await store.wallets(),
            opening: opening,
            workerExits: workerExits,
            workersKilled: workersKilled
        )
    }

    /// Each payout and its hold, read 16 at a time.
    private static func load(
        _ references: [String],
        from store: any PayoutStore
    ) async throws -> [String: (payout: StoredPayout?, hold: StoredHold?)] {
        var loaded: [String: (payout: StoredPayout?, hold: StoredHold?)] = [:]
        for start in stride(from: 0, to: references.count, by: 16) {
            let chunk = references[start..<min(start + 16, references.count)]
            try await withThrowingTaskGroup(of: (String, StoredPayout?, StoredHold?).self) { group in
                for reference in chunk {
                    group.addTask {
                        (
                            reference, try await store.payout(referenceID: reference),
                            try await store.hold(referenceID: reference)
                        )
                    }
                }
                for try await (reference, payout, hold) in group { loaded[reference] = (payout, hold) }
            }
        }
        return loaded
    }

    /// The first status each unique payout ended with on the status topic, by reference_id.
    var finals: [(payout: CommandWorkload.Payout, final: String?)] {
        workload.uniquePayouts.map { ($0, downstream.finals[$0.referenceID]?.first) }
    }

    /// Dollr's execution of a reference, if it accepted one.
    func acceptedExecution(_ referenceID: String) -> SandboxExecution? {
        ledger.execution(referenceID).flatMap { $0.accepted ? $0 : nil }
    }

    /// What Dollr debited for payouts still under review, which the worker's ledger has yet to
    /// settle, by currency.
    var debitsUnderReview: [CurrencyCode: Int64] {
        var debits: [CurrencyCode: Int64] = [:]
        for (payout, final) in finals where final == "REQUIRES_REVIEW" {
            if let debited = acceptedExecution(payout.referenceID)?.debited {
                debits[debited.currency, default: 0] += debited.minorUnits
            }
        }
        return debits
    }
}
