import DollrClient
import DollrSandbox
import Logging
import PayoutEngine

/// The invariants the demo promises, checked against ground truth: the sandbox's ledger (what
/// Dollr executed and debited), the status topic (what subscribers saw) and the store.
struct DemoVerdict {
    var statusCounts: [String: Int] = [:]
    var reasonCounts: [String: Int] = [:]
    var deadLetterReasons: [String: Int] = [:]
    var executions = 0
    var events = 0
    var wallets: [(currency: String, before: Int64, after: Int64, available: Int64)] = []
    var violations: [String] = []
    var checks: [(String, Bool)] = []

    static func check(
        workload: CommandWorkload,
        observer: DownstreamObserver.Snapshot,
        ledger: SandboxLedgerSnapshot,
        storeURL: String,
        walletsBefore: [WalletBalance],
        logger: Logger
    ) async throws -> DemoVerdict {
        var verdict = DemoVerdict()
        verdict.events = observer.events
        verdict.deadLetterReasons = observer.deadLetterReasons
        verdict.executions = ledger.executions.filter(\.accepted).count
        let store = try await PayoutStoreFactory.open(url: storeURL, logger: logger)
        defer { Task { await store.close() } }

        var executedTwice = 0
        var unanswered = 0
        var multipleFinals = 0
        var executedWithoutCover = 0
        var notExecuted = 0
        var openHolds = 0
        for item in workload.uniquePayouts {
            let reference = item.referenceID!
            let finals = observer.finals[reference] ?? []
            if finals.isEmpty { unanswered += 1 }
            if finals.count > 1 { multipleFinals += 1 }
            if let final = finals.first { verdict.statusCounts[final, default: 0] += 1 }
            let execution = ledger.execution(reference)
            if (execution?.executeCalls ?? 0) > 1 { executedTwice += 1 }
            let payout = try await store.payout(referenceID: reference)
            if let reason = payout?.reasonCode { verdict.reasonCounts[reason, default: 0] += 1 }
            if payout?.reasonCode == PayoutReason.Code.insufficientFunds.rawValue, execution != nil {
                executedWithoutCover += 1
            }
            if finals.first == "COMPLETED", execution?.status != .completed { notExecuted += 1 }
            if let hold = try await store.hold(referenceID: reference), hold.state == .pending,
                payout?.status != .requiresReview
            {
                openHolds += 1
            }
        }
        var rejectedAnswered = 0
        for item in workload.items where item.kind == .rejected {
            if observer.finals[item.referenceID!]?.first == "REJECTED" { rejectedAnswered += 1 }
        }
        verdict.statusCounts["REJECTED", default: 0] += rejectedAnswered
        let conflict = workload.items.first { $0.kind == .conflict }!
        let original = try await store.payout(referenceID: conflict.referenceID!)
        let expectedDeadLetters = workload.count(.garbage) + workload.count(.conflict)

        let afterWallets = try await store.wallets()
        for wallet in afterWallets {
            let before = walletsBefore.first { $0.walletID == wallet.walletID }?.balanceMinor ?? 0
            verdict.wallets.append((wallet.currency, before, wallet.balanceMinor, wallet.availableMinor))
        }
        let sandboxOverdrawn = ledger.wallets.filter { $0.balance.isNegative }.count
        let storeOverdrawn = afterWallets.filter { $0.availableMinor < 0 || $0.balanceMinor < 0 }.count

        verdict.record(
            "each payout executed at most once at Dollr",
            executedTwice == 0,
            "\(executedTwice) executed twice"
        )
        verdict.record(
            "every command answered (terminal status or REQUIRES_REVIEW, REJECTED or dead letter)",
            unanswered == 0 && rejectedAnswered == workload.count(.rejected)
                && observer.deadLetters >= expectedDeadLetters,
            "\(unanswered) payouts without a terminal status, \(workload.count(.rejected) - rejectedAnswered) rejections missing, "
                + "\(observer.deadLetters)/\(expectedDeadLetters) dead letters"
        )
        verdict.record(
            "exactly one terminal status per payout; REQUIRES_REVIEW only before it",
            multipleFinals == 0 && observer.reviewsAfterTerminal == 0,
            "\(multipleFinals) with more than one, \(observer.reviewsAfterTerminal) reviews after their terminal status"
        )
        verdict.record(
            "COMPLETED only after Dollr completed it",
            notExecuted == 0,
            "\(notExecuted) without a completed execution"
        )
        verdict.record(
            "INSUFFICIENT_FUNDS never reached Dollr",
            executedWithoutCover == 0,
            "\(executedWithoutCover) executed anyway"
        )
        verdict.record(
            "no wallet overdrawn (sandbox and ledger)",
            sandboxOverdrawn == 0 && storeOverdrawn == 0,
            "\(sandboxOverdrawn) sandbox, \(storeOverdrawn) ledger wallets below zero"
        )
        verdict.record("every hold settled", openHolds == 0, "\(openHolds) holds still pending")
        verdict.record(
            "events in sequence order, CloudEvents headers present",
            observer.outOfOrder == 0 && observer.missingHeaders == 0,
            "\(observer.outOfOrder) out of order, \(observer.missingHeaders) without headers"
        )
        verdict.record(
            "the conflicting duplicate left its original untouched",
            original?.amountMinor == conflict.amount?.minorUnits,
            "original amount changed"
        )
        return verdict
    }

    mutating func record(_ check: String, _ holds: Bool, _ detail: String) {
        checks.append((check, holds))
        if !holds { violations.append("\(check): \(detail)") }
    }
}
