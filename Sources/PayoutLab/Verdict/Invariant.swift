import DollrClient
import PayoutEngine

/// What the lab promises of the worker, each judged against ground truth once a run is over
/// (``RunEvidence``). The demo and the chaos soak judge this one list; an invariant a run cannot
/// judge (no worker process to drain, a kill that lets an execute call be sent again) is left out
/// of that run's verdict, never counted as holding.
enum Invariant: CaseIterable {
    case executedOnce
    case everyPayoutAnswered
    case oneTerminalStatus
    case finalStatusTellsWhatDollrDid
    case insufficientFundsNeverReachedDollr
    case onlyValidPayoutsExecuted
    case holdsSettled
    case noRefusalForFunds
    case walletsAgree
    case invalidCommandsRejected
    case unreadableRecordsDeadLettered
    case conflictsDeadLettered
    case conflictsLeaveOriginals
    case eventsInOrder
    case workersDrained

    var statement: String {
        switch self {
        case .executedOnce: "each payout's execute call sent to Dollr at most once"
        case .everyPayoutAnswered:
            "every valid payout has a terminal status (or waits in REQUIRES_REVIEW) on the status topic"
        case .oneTerminalStatus: "exactly one terminal status per payout; REQUIRES_REVIEW only before it"
        case .finalStatusTellsWhatDollrDid: "each final status tells what Dollr did"
        case .insufficientFundsNeverReachedDollr: "INSUFFICIENT_FUNDS never reached Dollr"
        case .onlyValidPayoutsExecuted: "Dollr executed nothing but valid payouts"
        case .holdsSettled: "every hold settled, or kept under REQUIRES_REVIEW"
        case .noRefusalForFunds: "no execution refused by Dollr for insufficient funds"
        case .walletsAgree: "no wallet below zero; the worker's ledger agrees with Dollr's"
        case .invalidCommandsRejected: "every invalid command with a reference_id answered REJECTED"
        case .unreadableRecordsDeadLettered: "every unreadable record dead-lettered"
        case .conflictsDeadLettered: "every conflicting duplicate dead-lettered as IDEMPOTENCY_CONFLICT"
        case .conflictsLeaveOriginals: "conflicting duplicates left their originals untouched"
        case .eventsInOrder: "events in sequence order, none missing, CloudEvents headers on each"
        case .workersDrained: "every worker drained and exited 0 on SIGTERM"
        }
    }

    /// What an offender is, after their count in a violation.
    var offence: String {
        switch self {
        case .executedOnce: "sent more than once"
        case .everyPayoutAnswered: "without one"
        case .oneTerminalStatus: "with several, or a review after theirs"
        case .finalStatusTellsWhatDollrDid: "misreported"
        case .insufficientFundsNeverReachedDollr: "sent anyway"
        case .onlyValidPayoutsExecuted: "foreign executions"
        case .holdsSettled: "holds left pending"
        case .noRefusalForFunds: "refused"
        case .walletsAgree: "wallet problems"
        case .invalidCommandsRejected: "unanswered"
        case .unreadableRecordsDeadLettered, .conflictsDeadLettered: "missing"
        case .conflictsLeaveOriginals: "changed"
        case .eventsInOrder: "problems"
        case .workersDrained: "did not"
        }
    }

    /// The offenders in `evidence`, none when the invariant holds; nil when the run cannot judge it.
    func offenders(in evidence: RunEvidence) -> [String]? {
        switch self {
        case .executedOnce: evidence.workersKilled ? nil : evidence.executedMoreThanOnce
        case .everyPayoutAnswered: evidence.unanswered
        case .oneTerminalStatus: evidence.severalOrLateFinals
        case .finalStatusTellsWhatDollrDid: evidence.misreported
        case .insufficientFundsNeverReachedDollr: evidence.insufficientFundsSent
        case .onlyValidPayoutsExecuted: evidence.foreignExecutions
        case .holdsSettled: evidence.pendingHolds
        case .noRefusalForFunds: evidence.ledger.executions.filter(\.refusedForFunds).map(\.referenceID)
        case .walletsAgree: evidence.walletProblems
        case .invalidCommandsRejected: evidence.unrejected
        case .unreadableRecordsDeadLettered:
            evidence.workload.unreadableTexts.filter { evidence.downstream.deadLetterValues[$0] == nil }
        case .conflictsDeadLettered: evidence.conflictsNotDeadLettered
        case .conflictsLeaveOriginals: evidence.originalsChanged
        case .eventsInOrder: evidence.eventProblems
        case .workersDrained: evidence.workerExits.map { $0.filter { $0 != 0 }.map { "exit \($0)" } }
        }
    }
}

/// The invariants one run could judge, each with its offenders.
struct InvariantVerdict {
    struct Judgement {
        var invariant: Invariant
        var offenders: [String]

        var holds: Bool { offenders.isEmpty }

        /// One line: the invariant, how many offend, and the first three.
        var violation: String? {
            guard !holds else { return nil }
            let examples = offenders.prefix(3).joined(separator: "; ")
            return "\(invariant.statement): \(offenders.count) \(invariant.offence), e.g. \(examples)"
        }
    }

    var judgements: [Judgement]

    init(_ evidence: RunEvidence) {
        judgements = Invariant.allCases.compactMap { invariant in
            invariant.offenders(in: evidence).map { Judgement(invariant: invariant, offenders: $0) }
        }
    }

    var violations: [String] { judgements.compactMap(\.violation) }
}

extension RunEvidence {
    /// References whose execute call reached Dollr more than once.
    fileprivate var executedMoreThanOnce: [String] {
        ledger.executions.filter { $0.executeCalls > 1 }.map { "\($0.referenceID) (\($0.executeCalls) calls)" }
    }

    /// Payouts with no final status, and where each stopped: never recorded (intake), or stuck after.
    fileprivate var unanswered: [String] {
        finals.filter { $0.final == nil }.map { payout, _ in
            let stored = self.stored[payout.referenceID]?.payout
            let whereItStopped =
                stored.map { "stored \($0.status), lease \($0.leaseOwner ?? "none")" } ?? "never recorded"
            return "\(payout.referenceID) (\(whereItStopped))"
        }
    }

    /// Payouts with more than one terminal status, or a REQUIRES_REVIEW event after theirs.
    fileprivate var severalOrLateFinals: [String] {
        let several = workload.uniquePayouts.compactMap { payout -> String? in
            guard let finals = downstream.finals[payout.referenceID], finals.count > 1 else { return nil }
            return "\(payout.referenceID): \(finals)"
        }
        let lateReviews = downstream.reviewSequences.sorted { $0.key < $1.key }.compactMap { reference, review in
            downstream.terminalSequences[reference].flatMap { terminal in
                review > terminal
                    ? "\(reference): REQUIRES_REVIEW (\(review)) after its terminal status (\(terminal))" : nil
            }
        }
        return several + lateReviews
    }

    /// Final statuses that say something other than what Dollr did, or than the store holds.
    /// A payout failed INSUFFICIENT_FUNDS that reached Dollr is ``Invariant/insufficientFundsNeverReachedDollr``'s.
    fileprivate var misreported: [String] {
        finals.flatMap { payout, final -> [String] in
            guard let final else { return [] }
            return misreports(payout, final: final)
        }
    }

    private func misreports(_ payout: CommandWorkload.Payout, final: String) -> [String] {
        let reference = payout.referenceID
        let execution = acceptedExecution(reference)
        let stored = self.stored[reference]?.payout
        var problems: [String] = []
        if let execution, execution.amount != payout.amount {
            problems.append(
                "\(reference): Dollr executed \(execution.amount.map(String.init(describing:)) ?? "?") for a command of \(payout.amount)"
            )
        }
        switch final {
        case "COMPLETED":
            if execution?.status != .completed {
                problems.append(
                    "\(reference): COMPLETED, Dollr says \(execution?.status?.rawValue ?? "never executed")"
                )
            }
        case "FAILED":
            if execution?.status == .completed { problems.append("\(reference): FAILED, but Dollr paid it") }
            let reason = stored?.reasonCode ?? ""
            let decidedAfterExecution = reason == PayoutReason.Code.providerFailed.rawValue
            if execution != nil, !decidedAfterExecution, reason != PayoutReason.Code.insufficientFunds.rawValue {
                problems.append(
                    "\(reference): FAILED \(stored?.reasonCode ?? "?") before execution, but Dollr executed it"
                )
            }
        case "REQUIRES_REVIEW": break
        default: problems.append("\(reference): a valid command ended \(final)")
        }
        if stored?.status.rawValue != final {
            problems.append("\(reference): published \(final), stored \(stored?.status.rawValue ?? "nothing")")
        }
        return problems
    }

    /// Payouts failed INSUFFICIENT_FUNDS with an execute call at Dollr, accepted or not.
    fileprivate var insufficientFundsSent: [String] {
        workload.uniquePayouts.map(\.referenceID).filter { reference in
            stored[reference]?.payout?.reasonCode == PayoutReason.Code.insufficientFunds.rawValue
                && ledger.execution(reference) != nil
        }
    }

    /// Executions Dollr accepted for references no valid command carries.
    fileprivate var foreignExecutions: [String] {
        let valid = Set(workload.uniquePayouts.map(\.referenceID))
        return ledger.executions.filter { $0.accepted && !valid.contains($0.referenceID) }.map(\.referenceID)
    }

    /// Holds still pending under a payout that has a final status other than REQUIRES_REVIEW.
    fileprivate var pendingHolds: [String] {
        finals.compactMap { payout, final in
            guard let final, final != "REQUIRES_REVIEW", stored[payout.referenceID]?.hold?.state == .pending else {
                return nil
            }
            return payout.referenceID
        }
    }

    /// Per opening currency: a balance below zero on either side, or the worker's ledger apart from
    /// Dollr's by more than what Dollr debited for payouts still under review.
    fileprivate var walletProblems: [String] {
        let underReview = debitsUnderReview
        return opening.flatMap { currency, opened -> [String] in
            let dollr = ledger.wallet(currency)?.balance.minorUnits ?? opened
            guard let ours = storeWallets.first(where: { $0.currency == currency.code }) else {
                return ["\(currency.code): no wallet in the store"]
            }
            var problems: [String] = []
            if dollr < 0 { problems.append("\(currency.code): Dollr balance \(dollr)") }
            if ours.balanceMinor < 0 || ours.availableMinor < 0 {
                problems.append(
                    "\(currency.code): ledger balance \(ours.balanceMinor), available \(ours.availableMinor)"
                )
            }
            let reviewed = underReview[currency, default: 0]
            if ours.balanceMinor != dollr + reviewed {
                problems.append(
                    "\(currency.code): ledger \(ours.balanceMinor) minor units, Dollr \(dollr) + \(reviewed) under review"
                )
            }
            return problems
        }
    }

    /// Invalid commands with a reference_id that were not answered REJECTED.
    fileprivate var unrejected: [String] {
        workload.rejectedReferences.filter { downstream.finals[$0]?.first != "REJECTED" }
    }

    fileprivate var conflictsNotDeadLettered: [String] {
        workload.conflicts.filter { downstream.deadLetterValues[$0.text] != "IDEMPOTENCY_CONFLICT" }.map(
            \.original.referenceID
        )
    }

    /// Originals whose stored amount is not the one their own command asked for.
    fileprivate var originalsChanged: [String] {
        workload.conflicts.map(\.original).filter {
            stored[$0.referenceID]?.payout?.amountMinor != $0.amount.minorUnits
        }.map(\.referenceID)
    }

    fileprivate var eventProblems: [String] {
        var problems: [String] = []
        if downstream.outOfOrder > 0 {
            problems.append("\(downstream.outOfOrder) events older than one already delivered")
        }
        if downstream.gaps > 0 { problems.append("\(downstream.gaps) payouts with a missing sequence number") }
        if downstream.missingHeaders > 0 {
            problems.append("\(downstream.missingHeaders) events unreadable or without their CloudEvents headers")
        }
        return problems
    }
}
