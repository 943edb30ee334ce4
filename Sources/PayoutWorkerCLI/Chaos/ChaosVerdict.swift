import DollrClient
import DollrSandbox
import PayoutEngine

/// The invariants of a chaos run, checked against ground truth: the sandbox's ledger (what Dollr
/// executed and debited), the status and dead-letter topics as a plain consumer read them, and
/// the store.
struct ChaosVerdict {
    var figures: [(String, Int)] = []
    var violations: [String] = []

    static func check(
        workload: CommandWorkload,
        downstream: DownstreamObserver.Snapshot,
        ledger: SandboxLedgerSnapshot,
        store: any PayoutStore,
        opening: [(currency: CurrencyCode, balanceMinor: Int64)],
        workerExits: [Int32]
    ) async throws -> ChaosVerdict {
        var verdict = ChaosVerdict()
        let valid = workload.uniquePayouts
        let validReferences = Set(valid.compactMap(\.referenceID))
        let stored = try await Self.load(valid.compactMap(\.referenceID), from: store)

        var lost: [String] = []
        var severalFinals: [String] = []
        var falseOutcome: [String] = []
        var openHolds: [String] = []
        var byStatus: [String: Int] = [:]
        var unsettledDebits: [CurrencyCode: Int64] = [:]
        for item in valid {
            let reference = item.referenceID!
            let finals = downstream.finals[reference] ?? []
            guard let final = finals.first else {
                // Where it stopped tells where to look: never recorded (intake) or stuck after.
                let payout = stored[reference]?.payout
                lost.append(
                    "\(reference) (\(payout.map { "stored \($0.status.rawValue), lease \($0.leaseOwner ?? "none")" } ?? "never recorded"))"
                )
                continue
            }
            if finals.count > 1 { severalFinals.append("\(reference): \(finals)") }
            byStatus[final, default: 0] += 1
            let execution = ledger.execution(reference).flatMap { $0.accepted ? $0 : nil }
            let (payout, hold) = stored[reference] ?? (nil, nil)
            if let execution, execution.amount != item.amount {
                falseOutcome.append(
                    "\(reference): Dollr executed \(execution.amount.map(String.init(describing:)) ?? "?") for a command of \(item.amount!)"
                )
            }
            switch final {
            case "COMPLETED":
                if execution?.status != .completed {
                    falseOutcome.append(
                        "\(reference): COMPLETED, Dollr says \(execution?.status?.rawValue ?? "never executed")"
                    )
                }
            case "FAILED":
                if execution?.status == .completed { falseOutcome.append("\(reference): FAILED, but Dollr paid it") }
                let executedReasons: Set = [PayoutReason.Code.providerFailed.rawValue]
                if execution != nil, !executedReasons.contains(payout?.reasonCode ?? "") {
                    falseOutcome.append(
                        "\(reference): FAILED \(payout?.reasonCode ?? "?") before execution, but Dollr executed it"
                    )
                }
            case "REQUIRES_REVIEW":
                if let debited = execution?.debited {
                    unsettledDebits[debited.currency, default: 0] += debited.minorUnits
                }
            default:
                falseOutcome.append("\(reference): a valid command ended \(final)")
            }
            if payout?.status.rawValue != final {
                falseOutcome.append("\(reference): published \(final), stored \(payout?.status.rawValue ?? "nothing")")
            }
            if let hold, hold.state == .pending, final != "REQUIRES_REVIEW" { openHolds.append(reference) }
        }
        let foreign = ledger.executions.filter { $0.accepted && !validReferences.contains($0.referenceID) }

        verdict.record(
            "every valid payout has a terminal status (or waits in REQUIRES_REVIEW) on the status topic",
            lost,
            "without one"
        )
        verdict.record(
            "exactly one terminal status per payout; REQUIRES_REVIEW only before it",
            severalFinals,
            "with several"
        )
        verdict.record("each final status tells what Dollr did", falseOutcome, "misreported")
        verdict.record("Dollr executed nothing but valid payouts", foreign.map(\.referenceID), "foreign executions")
        verdict.record("every hold settled, or kept under REQUIRES_REVIEW", openHolds, "holds left pending")

        // Money: neither side below zero, Dollr never refused for funds (holds cover amount + fee),
        // and the ledgers agree up to what Dollr debited for payouts still under review.
        let refusedForFunds = ledger.executions.filter(\.refusedForFunds).map(\.referenceID)
        verdict.record("no execution refused by Dollr for insufficient funds", refusedForFunds, "refused")
        var walletProblems: [String] = []
        let storeWallets = try await store.wallets()
        for (currency, opened) in opening {
            let dollr = ledger.wallet(currency)?.balance.minorUnits ?? opened
            guard let ours = storeWallets.first(where: { $0.currency == currency.code }) else {
                walletProblems.append("\(currency.code): no wallet in the store")
                continue
            }
            if dollr < 0 { walletProblems.append("\(currency.code): Dollr balance \(dollr)") }
            if ours.balanceMinor < 0 || ours.availableMinor < 0 {
                walletProblems.append(
                    "\(currency.code): ledger balance \(ours.balanceMinor), available \(ours.availableMinor)"
                )
            }
            let expected = dollr + unsettledDebits[currency, default: 0]
            if ours.balanceMinor != expected {
                walletProblems.append(
                    "\(currency.code): ledger \(ours.balanceMinor) minor units, Dollr \(dollr) + \(unsettledDebits[currency, default: 0]) under review"
                )
            }
        }
        verdict.record(
            "no wallet below zero; the worker's ledger agrees with Dollr's",
            walletProblems,
            "wallet problems"
        )

        // Everything else upstream sent is answered: REJECTED events and dead letters.
        let rejected = workload.items.filter { $0.kind == .rejected }.filter {
            downstream.finals[$0.referenceID!]?.first != "REJECTED"
        }
        verdict.record(
            "every invalid command with a reference_id answered REJECTED",
            rejected.map { $0.referenceID! },
            "unanswered"
        )
        let garbage = workload.items.filter { $0.kind == .garbage }.filter {
            downstream.deadLetterValues[Self.text($0)] == nil
        }
        verdict.record("every unreadable record dead-lettered", garbage.map(Self.text), "missing")
        let conflicts = workload.items.filter { $0.kind == .conflict }
        let conflictsMissing = conflicts.filter { downstream.deadLetterValues[Self.text($0)] != "IDEMPOTENCY_CONFLICT" }
        verdict.record(
            "every conflicting duplicate dead-lettered as IDEMPOTENCY_CONFLICT",
            conflictsMissing.map { $0.referenceID! },
            "missing"
        )
        let originalAmounts = Dictionary(valid.map { ($0.referenceID!, $0.amount!.minorUnits) }) { first, _ in first }
        let touched = conflicts.filter {
            stored[$0.referenceID!]?.payout?.amountMinor != originalAmounts[$0.referenceID!]
        }
        verdict.record(
            "conflicting duplicates left their originals untouched",
            touched.map { $0.referenceID! },
            "changed"
        )

        var order: [String] = []
        if downstream.outOfOrder > 0 {
            order.append("\(downstream.outOfOrder) events older than one already delivered")
        }
        if downstream.gaps > 0 { order.append("\(downstream.gaps) payouts with a missing sequence number") }
        if downstream.missingHeaders > 0 {
            order.append("\(downstream.missingHeaders) events unreadable or without their CloudEvents headers")
        }
        if downstream.reviewsAfterTerminal > 0 {
            order.append(
                "\(downstream.reviewsAfterTerminal) REQUIRES_REVIEW events after their payout's terminal status"
            )
        }
        verdict.record("events in sequence order, none missing, CloudEvents headers on each", order, "problems")
        verdict.record(
            "every worker drained and exited 0 on SIGTERM",
            workerExits.filter { $0 != 0 }.map { "exit \($0)" },
            "did not"
        )

        let beyondDuplicates = max(0, downstream.repeated - workload.count(.duplicate))
        verdict.figures = [
            ("executions", ledger.executions.filter(\.accepted).count),
            ("completed", byStatus["COMPLETED", default: 0]),
            ("failed", byStatus["FAILED", default: 0]),
            ("requires_review", byStatus["REQUIRES_REVIEW", default: 0]),
            ("rejected", workload.count(.rejected) - rejected.count),
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
        return verdict
    }

    mutating func record(_ invariant: String, _ offenders: [String], _ what: String) {
        guard !offenders.isEmpty else { return }
        violations.append(
            "\(invariant): \(offenders.count) \(what), e.g. \(offenders.prefix(3).joined(separator: "; "))"
        )
    }

    private static func text(_ item: CommandWorkload.Item) -> String {
        String(decoding: item.record.value ?? [], as: UTF8.self)
    }

    /// Each payout and its hold, read 16 at a time.
    private static func load(
        _ references: [String],
        from store: any PayoutStore
    ) async throws -> [String: (payout: StoredPayout?, hold: StoredHold?)] {
        var loaded: [String: (payout: StoredPayout?, hold: StoredHold?)] = [:]
        for chunk in stride(from: 0, to: references.count, by: 16).map({
            Array(references[$0..<min($0 + 16, references.count)])
        }) {
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
}
