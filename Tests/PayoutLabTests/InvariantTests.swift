import Testing

@testable import DollrSandbox
@testable import PayoutLab

/// The one list of invariants the demo and the chaos soak are judged by, on evidence built by
/// hand: which invariants a run can judge, and that a few kinds of trouble are found.
@Suite("lab invariants")
struct InvariantTests {
    let workload = CommandWorkload(total: 200, topic: "commands", seed: 3, mix: .chaos)

    func evidence(
        downstream: DownstreamObserver.Snapshot = DownstreamObserver.Snapshot(),
        executions: [SandboxExecution] = [],
        workerExits: [Int32]? = nil,
        workersKilled: Bool = false
    ) -> RunEvidence {
        RunEvidence(
            workload: workload,
            downstream: downstream,
            ledger: SandboxLedgerSnapshot(wallets: [], executions: executions),
            stored: [:],
            storeWallets: [],
            opening: [],
            workerExits: workerExits,
            workersKilled: workersKilled
        )
    }

    func execution(_ referenceID: String, calls: Int) -> SandboxExecution {
        SandboxExecution(
            referenceID: referenceID,
            executeCalls: calls,
            duplicateExecuteCalls: calls - 1,
            refusals: Array(repeating: "value_error.duplicate", count: calls - 1),
            accepted: true,
            refusedForFunds: false,
            status: .completed,
            amount: nil,
            debited: nil
        )
    }

    @Test("an in-process worker leaves out the drain; a killed one the single execute call; nothing else is left out")
    func whatARunJudges() {
        let all = Set(Invariant.allCases.map(\.statement))
        let demo = Set(InvariantVerdict(evidence()).judgements.map(\.invariant.statement))
        #expect(all.subtracting(demo) == [Invariant.workersDrained.statement])
        let chaos = Set(
            InvariantVerdict(evidence(workerExits: [0, 0], workersKilled: true)).judgements.map(\.invariant.statement)
        )
        #expect(all.subtracting(chaos) == [Invariant.executedOnce.statement])
    }

    @Test("an execute call sent twice is a violation, unless a worker was killed; a drain that overran is one")
    func executedOnceAndDrained() throws {
        let reference = try #require(workload.uniquePayouts.first?.referenceID)
        let twice = [execution(reference, calls: 2)]
        #expect(Invariant.executedOnce.offenders(in: evidence(executions: twice)) == ["\(reference) (2 calls)"])
        #expect(Invariant.executedOnce.offenders(in: evidence(executions: twice, workersKilled: true)) == nil)
        #expect(Invariant.workersDrained.offenders(in: evidence(workerExits: [0, 70, 0])) == ["exit 70"])
    }

    @Test("a payout with two terminal statuses, or a review after its terminal status, offends once each")
    func oneTerminalStatus() throws {
        let payouts = workload.uniquePayouts.map(\.referenceID)
        var downstream = DownstreamObserver.Snapshot()
        downstream.finals[payouts[0]] = ["COMPLETED", "FAILED"]
        downstream.finals[payouts[1]] = ["COMPLETED"]
        downstream.reviewSequences[payouts[1]] = 5
        downstream.terminalSequences[payouts[1]] = 3
        let offenders = try #require(Invariant.oneTerminalStatus.offenders(in: evidence(downstream: downstream)))
        #expect(offenders.count == 2)
        #expect(offenders[0].hasPrefix(payouts[0]) && offenders[1].hasPrefix(payouts[1]), "\(offenders)")
    }

    @Test("every unreadable record and conflicting copy must come back as a dead letter, the conflict as such")
    func deadLetters() {
        var downstream = DownstreamObserver.Snapshot()
        #expect(
            Invariant.unreadableRecordsDeadLettered.offenders(in: evidence(downstream: downstream))
                == workload.unreadableTexts
        )
        for text in workload.unreadableTexts { downstream.deadLetterValues[text] = "VALIDATION_ERROR" }
        for conflict in workload.conflicts { downstream.deadLetterValues[conflict.text] = "VALIDATION_ERROR" }
        #expect(Invariant.unreadableRecordsDeadLettered.offenders(in: evidence(downstream: downstream)) == [])
        #expect(
            Invariant.conflictsDeadLettered.offenders(in: evidence(downstream: downstream))
                == workload.conflicts.map(\.original.referenceID)
        )
        let violation = InvariantVerdict(evidence(downstream: downstream)).violations.first {
            $0.hasPrefix(Invariant.conflictsDeadLettered.statement)
        }
        #expect(violation?.contains("\(workload.conflicts.count) missing, e.g. ") == true, "\(violation ?? "none")")
    }
}
