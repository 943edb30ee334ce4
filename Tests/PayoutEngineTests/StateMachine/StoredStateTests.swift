import DollrClient
import Foundation
import Testing

@testable import PayoutEngine

/// Payouts stay in a store across releases: a state document written by the engine must read back
/// as the same payout, each phase with its data in its own case, and advance as it did when written.
@Suite("Stored state documents")
struct StoredStateTests {
    typealias State = PayoutState

    static func document(_ name: String) throws -> String {
        try #require(StoredStateFixtures.documents.first { $0.key == name }?.value, "no fixture \(name)")
    }

    static func state(_ name: String) throws -> PayoutState {
        try PayoutState.decode(try document(name))
    }

    static let phone = "231771234567"

    @Test(
        "a stored document reads back in its phase and is written back byte for byte",
        arguments: StoredStateFixtures.documents.map(\.key)
    )
    func roundTrip(name: String) throws {
        let document = try Self.document(name)
        let state = try PayoutState.decode(document)
        #expect(state.phase.rawValue == name.split(separator: ".").last.map(String.init))
        if name == "insufficient.finished" {
            // Failed before the recipient was registered: a finished payout keeps no phone number.
            #expect(state.encoded() == document.replacingOccurrences(of: #""phone":"\#(Self.phone)","#, with: ""))
            #expect(state.encoded().contains(Self.phone) == false)
        } else {
            #expect(state.encoded() == document)
        }
    }

    @Test(
        "a stored document reads back as exactly the state the machine reaches on the same path",
        arguments: PayoutPhase.allCases
    )
    func sameAsWalked(phase: PayoutPhase) throws {
        var walked = PayoutStateMachineTests.state(in: phase)
        walked.traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        walked.traceState = "vendor=1"
        #expect(try Self.state("new.\(phase.rawValue)") == walked)
        if phase != .accountReady {
            #expect(
                try Self.state("existing.\(phase.rawValue)")
                    == PayoutStateMachineTests.state(in: phase, existingAccount: true)
            )
        }
    }

    @Test("each phase's document reads back with that phase's data in its case")
    func perPhaseData() throws {
        let hold = State.Hold(totalMinor: 10_100, feeMinor: 100)
        let first = State.Execution(
            attempts: 1,
            sentAt: 1_000,
            walletID: "1",
            presumedLost: false,
            pollingSince: nil,
            polls: 0
        )

        guard case .accepted(let accepted) = try Self.state("new.accepted").progress,
            case .toRegister(let recipient) = accepted.account
        else { throw Unexpected("new.accepted") }
        #expect(recipient.phone.revealed == Self.phone && recipient.accountName == "Ada" && recipient.partyID == 7)
        #expect(recipient.provider == .mtnMomoLiberia && recipient.method == .mtnMomoLiberia)
        #expect(try Self.state("existing.accepted").progress == .accepted(State.Accepted(account: .registered(id: 42))))

        guard case .reserved(let reserved) = try Self.state("new.reserved").progress,
            case .toRegister(let toRegister) = reserved.account
        else { throw Unexpected("new.reserved") }
        #expect(reserved.hold == hold && toRegister.phone.revealed == Self.phone)
        guard case .reserved(let unchecked) = try Self.state("unchecked.reserved").progress else {
            throw Unexpected("unchecked.reserved")
        }
        #expect(unchecked.hold == nil, "no hold for a wallet without a declared balance")
        #expect(try Self.state("transient.reserved").transientFailures == 1)

        #expect(
            try Self.state("new.accountReady").progress
                == .accountReady(State.AccountReady(hold: hold, payoutAccountID: 42, earlier: nil))
        )
        #expect(
            try Self.state("new.sessionReady").progress
                == .sessionReady(
                    State.SessionReady(
                        hold: hold,
                        payoutAccountID: 42,
                        session: State.Session(id: "s1", walletID: "1"),
                        earlier: nil
                    )
                )
        )
        #expect(
            try Self.state("new.executing").progress
                == .executing(State.Executing(hold: hold, payoutAccountID: 42, sessionID: "s1", execution: first))
        )
        guard case .executing(let again) = try Self.state("reexec.executing").progress else {
            throw Unexpected("reexec.executing")
        }
        #expect(again.execution.attempts == 2 && again.execution.presumedLost && again.execution.sentAt == 70_000)
        guard case .executing(let unheld) = try Self.state("unchecked.executing").progress else {
            throw Unexpected("unchecked.executing")
        }
        #expect(unheld.hold == nil && unheld.execution.sentAt == 5)

        var polled = first
        polled.pollingSince = 1_000
        #expect(
            try Self.state("new.polling").progress
                == .polling(
                    State.Polling(
                        hold: hold,
                        payoutAccountID: 42,
                        sessionID: "s1",
                        execution: polled,
                        answer: State.DollrAnswer(status: "PENDING", transactionID: nil),
                        pendingFailure: nil
                    )
                )
        )
        guard case .polling(let timedOut) = try Self.state("timeout.polling").progress else {
            throw Unexpected("timeout.polling")
        }
        #expect(timedOut.answer == nil && timedOut.execution.pollingSince == 2_000)
        guard case .polling(let confirming) = try Self.state("reexec.pendingFailure.polling").progress else {
            throw Unexpected("reexec.pendingFailure.polling")
        }
        #expect(confirming.pendingFailure?.code == .passcodeRejected && confirming.sessionID == nil)
        #expect(confirming.execution.presumedLost && confirming.execution.walletID == "1")

        polled.polls = 1
        let review = try Self.state("new.underReview")
        #expect(
            review.progress
                == .underReview(
                    State.UnderReview(
                        hold: hold,
                        payoutAccountID: 42,
                        sessionID: "s1",
                        execution: polled,
                        answer: State.DollrAnswer(status: "PROCESSING", transactionID: nil),
                        since: 1_801_000
                    )
                )
        )
        #expect(review.status == .requiresReview && review.reason?.code == .outcomeUnknown)

        let finished = try Self.state("new.finished")
        #expect(
            finished.progress
                == .finished(
                    State.Finished(
                        hold: hold,
                        payoutAccountID: 42,
                        sessionID: "s1",
                        execution: polled,
                        answer: State.DollrAnswer(status: "COMPLETED", transactionID: nil),
                        debitedMinor: 10_100,
                        reviewSince: nil
                    )
                )
        )
        #expect(finished.request.recipient?.accountName == "Ada" && finished.recipientPhone == nil)
        let scrubbed = try Self.state("scrubbed.finished")
        #expect(scrubbed.request.recipient == nil && scrubbed.request.metadata.isEmpty)
        guard case .finished(let insufficient) = try Self.state("insufficient.finished").progress else {
            throw Unexpected("insufficient.finished")
        }
        #expect(insufficient == State.Finished(), "it ended before any hold or call")
    }

    @Test(
        "a stored payout advances from its document as it did when the document was written",
        arguments: StoredStateAdvances.all
    )
    func advancesAsWritten(advance: StoredStateAdvances.Advance) throws {
        let state = try Self.state(advance.fixture)
        let decision = PayoutStateMachineTests.machine.apply(advance.outcome, to: state, now: advance.now)
        #expect(decision.state.encoded() == advance.next)
        #expect(decision.emitsEvent == advance.emitsEvent)
        #expect(decision.ledger == advance.ledger)
        #expect(decision.schedule == advance.schedule)
        #expect(
            try PayoutState.decode(advance.next) == decision.state,
            "the next document reads back as the next state"
        )
    }

    @Test("the next step is the one each stored phase calls for")
    func nextSteps() throws {
        let reference = PayoutStateMachineTests.referenceID
        let machine = PayoutStateMachineTests.machine
        guard case .predictFee(let query?) = machine.action(for: try Self.state("new.accepted")) else {
            throw Unexpected("new.accepted")
        }
        #expect(query.baseAmount == Money(minorUnits: 10_000, currency: .usd) && query.provider == .mtnMomoLiberia)
        #expect(machine.action(for: try Self.state("existing.accepted")) == .predictFee(nil))
        guard case .createAccount(let account) = machine.action(for: try Self.state("new.reserved")) else {
            throw Unexpected("new.reserved")
        }
        #expect(account.accountNumber?.revealed == Self.phone && account.partyID == 7)
        #expect(
            machine.action(for: try Self.state("existing.reserved"))
                == .createSession(
                    CreatePayoutSessionRequest(payoutAccountID: 42, amount: Money(minorUnits: 10_000, currency: .usd))
                )
        )
        #expect(machine.action(for: try Self.state("new.sessionReady")) == .markExecuting)
        let executing = machine.apply(.markedExecuting, to: try Self.state("new.sessionReady"), now: 1_000)
        #expect(
            executing.followUp
                == .execute(ExecutePayoutRequest(sessionID: "s1", payoutAccountID: 42, referenceID: reference))
        )
        for name in ["new.executing", "new.polling", "reexec.pendingFailure.polling", "new.underReview"] {
            #expect(machine.action(for: try Self.state(name)) == .pollStatus(reference), "\(name)")
        }
        #expect(machine.action(for: try Self.state("new.finished")) == EngineAction.none)
    }

    @Test("a document that lacks what its phase needs is refused, naming what is missing")
    func incompleteDocuments() throws {
        let refusals: [(String, String, String)] = [
            ("new.executing", #""sessionID":"s1","#, "has no sessionID"),
            ("new.executing", #""executeSentAt":1000,"#, "has no executeSentAt"),
            ("new.sessionReady", #""walletID":"1""#, "has no walletID"),
            ("new.underReview", #""reviewSince":1801000,"#, "has no reviewSince"),
            ("new.reserved", #""holdMinor":10100,"#, "has only one of holdMinor and feeMinor"),
            ("new.accepted", #""phone":"231771234567","#, "has no command.recipient.phone"),
            ("new.accountReady", #""payoutAccountID":42,"#, "has no payoutAccountID"),
        ]
        for (fixture, removed, problem) in refusals {
            let document = try Self.document(fixture)
            #expect(document.contains(removed), "\(fixture) has \(removed)")
            let damaged = document.replacingOccurrences(of: removed, with: "")
            #expect("\(try #require(Self.refusal(damaged)))".contains(problem), "\(fixture) without \(removed)")
        }
        let answeredEarly = try Self.document("new.executing").replacingOccurrences(
            of: #""sessionID":"s1","#,
            with: #""providerStatus":"PENDING","sessionID":"s1","#
        )
        #expect("\(try #require(Self.refusal(answeredEarly)))".contains("has providerStatus before any execute"))
        let badPhone = try Self.document("new.reserved").replacingOccurrences(of: Self.phone, with: "12")
        let refusal = "\(try #require(Self.refusal(badPhone)))"
        #expect(refusal.contains("invalid command.recipient.phone") && !refusal.contains("12\""))
    }

    static func refusal(_ document: String) -> (any Error)? {
        do {
            _ = try PayoutState.decode(document)
            return nil
        } catch {
            return error
        }
    }

    struct Unexpected: Error, CustomStringConvertible {
        var fixture: String
        init(_ fixture: String) { self.fixture = fixture }
        var description: String { "\(fixture) read back in another shape than expected" }
    }
}
