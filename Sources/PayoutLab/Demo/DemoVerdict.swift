import DollrClient
import DollrSandbox
import Logging
import PayoutEngine

/// What the demo shows once its worker has stopped: how the payouts ended and why, the dead
/// letters, the wallets before and after, and every ``Invariant`` it can judge.
struct DemoVerdict {
    var statusCounts: [String: Int] = [:]
    var reasonCounts: [String: Int] = [:]
    var deadLetterReasons: [String: Int] = [:]
    var executions = 0
    var events = 0
    var wallets: [(currency: String, before: Int64, after: Int64, available: Int64)] = []
    var invariants: InvariantVerdict

    var violations: [String] { invariants.violations }

    /// Opens the store the demo's worker used, reads the evidence and closes the store again.
    static func check(
        workload: CommandWorkload,
        observer: DownstreamObserver.Snapshot,
        ledger: SandboxLedgerSnapshot,
        storeURL: String,
        opening: [(currency: CurrencyCode, balanceMinor: Int64)],
        walletsBefore: [WalletBalance],
        logger: Logger
    ) async throws -> DemoVerdict {
        let store = try await PayoutStoreFactory.open(url: storeURL, logger: logger)
        let evidence: RunEvidence
        do {
            evidence = try await RunEvidence.gather(
                workload: workload,
                downstream: observer,
                ledger: ledger,
                store: store,
                opening: opening,
                workerExits: nil,
                workersKilled: false
            )
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        return DemoVerdict(evidence, walletsBefore: walletsBefore)
    }

    init(_ evidence: RunEvidence, walletsBefore: [WalletBalance]) {
        invariants = InvariantVerdict(evidence)
        events = evidence.downstream.events
        deadLetterReasons = evidence.downstream.deadLetterReasons
        executions = evidence.ledger.executions.filter(\.accepted).count
        for (payout, final) in evidence.finals {
            if let final { statusCounts[final, default: 0] += 1 }
            if let reason = evidence.stored[payout.referenceID]?.payout?.reasonCode {
                reasonCounts[reason, default: 0] += 1
            }
        }
        let rejected = evidence.workload.rejectedReferences.filter {
            evidence.downstream.finals[$0]?.first == "REJECTED"
        }
        statusCounts["REJECTED", default: 0] += rejected.count
        for wallet in evidence.storeWallets {
            let before = walletsBefore.first { $0.walletID == wallet.walletID }?.balanceMinor ?? 0
            wallets.append((wallet.currency, before, wallet.balanceMinor, wallet.availableMinor))
        }
    }
}
