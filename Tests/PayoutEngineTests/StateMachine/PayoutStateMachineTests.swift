import DollrClient
import Foundation
import Testing

@testable import PayoutEngine

/// The state machine is pure, so every phase is exercised with every kind of outcome and the
/// safety rules are checked on each decision, not only on the paths we thought of.
@Suite("Payout state machine")
struct PayoutStateMachineTests {
    static let machine = PayoutStateMachine(policy: EnginePolicy())
    static let referenceID = UUID(uuidString: "3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90")!

    static func command(existingAccount: Bool = false) -> PayoutCommand {
        let recipient: Recipient =
            existingAccount
            ? .existingAccount(id: 42)
            : .newAccount(
                RecipientDetails(
                    accountName: "Ada",
                    partyID: 7,
                    phone: try! PhoneNumber("231771234567"),
                    provider: .mtnMomoLiberia,
                    method: .mtnMomoLiberia,
                    countryCode: "LR"
                )
            )
        return PayoutCommand(
            referenceID: ReferenceID(referenceID),
            amount: Money(minorUnits: 10_000, currency: .usd),
            recipient: recipient
        )
    }

    /// A state in each phase, built by walking the happy path.
    static func state(in phase: PayoutPhase, existingAccount: Bool = false) -> PayoutState {
        var state = PayoutState(command: command(existingAccount: existingAccount), now: 0)
        let steps: [(PayoutPhase, ActionOutcome)] = [
            (.accepted, .feePredicted(payerAmount: Money(minorUnits: 10_100, currency: .usd))),
            (.reserved, existingAccount ? .sessionCreated(id: "s1", walletID: "1") : .accountCreated(id: 42)),
            (.accountReady, .sessionCreated(id: "s1", walletID: "1")),
            (.sessionReady, .markedExecuting),
            (.executing, .executed(execution(.pending))),
        ]
        for (from, outcome) in steps where state.phase != phase {
            guard state.phase == from else { continue }
            state = machine.apply(outcome, to: state, now: 1_000).state
        }
        if phase == .finished {
            state = machine.apply(.polled(execution(.completed)), to: state, now: 2_000).state
        }
        if phase == .underReview {
            state =
                machine.apply(
                    .polled(execution(.processing)),
                    to: state,
                    now: state.pollingSince! + EnginePolicy().pollBudgetMilliseconds
                ).state
        }
        #expect(state.phase == phase)
        return state
    }

    /// An executing `state` that has sent `attempts` executes.
    static func withExecuteAttempts(_ attempts: Int, _ state: PayoutState) -> PayoutState {
        guard case .executing(var executing) = state.progress else {
            Issue.record("not executing: \(state.phase)")
            return state
        }
        executing.execution.attempts = attempts
        var state = state
        state.progress = .executing(executing)
        return state
    }

    static func execution(_ status: ExecutionStatus, payer: Int64 = 10_100) -> PayoutExecution {
        try! PayoutExecution(testing: referenceID, status: status, payerMinor: payer, currency: "USD")
    }

    static let errors: [DollrError] = [
        .unauthorized, .forbidden(detail: "unverified"), .validation([]), .duplicateReference, .sessionExpired,
        .passcodeRejected, .notFound, .rateLimited(retryAfter: .seconds(3)), .server(status: 503),
        .outcomeUnknown(.timeout), .connectionFailed("refused"), .invalidResponse("bad"), .unexpectedStatus(418),
        .cancelled,
    ]

    static var outcomes: [ActionOutcome] {
        var all: [ActionOutcome] = [
            .feePredicted(payerAmount: nil), .feePredicted(payerAmount: Money(minorUnits: 10_100, currency: .usd)),
            .holdRefusedInsufficient(availableMinor: 50), .holdRefusedWalletUnknown, .accountCreated(id: 9),
            .sessionCreated(id: "s2", walletID: "1"), .markedExecuting,
        ]
        for status in [ExecutionStatus.pending, .processing, .completed, .failed, ExecutionStatus(rawValue: "ON_HOLD")]
        {
            all.append(.executed(execution(status)))
            all.append(.polled(execution(status)))
        }
        all +=
            errors.map(ActionOutcome.failed) + errors.map(ActionOutcome.executeFailed)
            + errors.map(ActionOutcome.feePredictionFailed)
        all += [
            .resolvedByOperator(.completed, dollrAnswer: nil),
            .resolvedByOperator(.completed, dollrAnswer: execution(.completed)),
            .resolvedByOperator(.failed, dollrAnswer: nil),
            .resolvedByOperator(.failed, dollrAnswer: execution(.completed)),
        ]
        return all
    }

    @Test("safety rules hold for every phase and every outcome", arguments: PayoutPhase.allCases)
    func invariants(phase: PayoutPhase) {
        // An existing payout account goes from `reserved` straight to a session.
        for existingAccount in [false, true] where !(existingAccount && phase == .accountReady) {
            let current = Self.state(in: phase, existingAccount: existingAccount)
            for outcome in Self.outcomes {
                for now: Int64 in [1_000, 10_000_000_000] {  // within and far past the polling budget
                    let decision = Self.machine.apply(outcome, to: current, now: now)
                    let next = decision.state
                    let context = "\(phase) + \(outcome) at \(now)"
                    // Execute is only ever a follow-up of committing `executing`, from `sessionReady`.
                    if case .execute? = decision.followUp {
                        #expect(current.phase == .sessionReady && next.phase == .executing, "\(context)")
                    }
                    if case .execute = Self.machine.action(for: next) {
                        Issue.record("execute decided from state alone: \(context)")
                    }
                    // Once an execute may have landed, only Dollr's own answer releases the hold.
                    if [.executing, .polling, .underReview].contains(current.phase), decision.ledger == .void {
                        let definitive: Bool
                        switch outcome {
                        case .polled(let e), .executed(let e): definitive = e.status == .failed
                        case .resolvedByOperator(let status, _):
                            definitive = status == .failed && current.phase == .underReview
                        case .executeFailed(let error):
                            definitive = [
                                .passcodeRejected, .validation([]), .forbidden(detail: "unverified"), .sessionExpired,
                                .notFound,
                            ].contains(error)
                        default: definitive = false
                        }
                        #expect(definitive, "hold voided without a definitive answer: \(context)")
                    }
                    // After an unknown outcome the next step is a poll, not a new session or execute.
                    if current.phase == .executing, case .executeFailed(let error) = outcome,
                        [.outcomeUnknown(.timeout), .duplicateReference, .server(status: 503), .invalidResponse("bad")]
                            .contains(error)
                    {
                        #expect(next.phase == .polling, "\(context)")
                    }
                    if decision.ledger != .none, case .post = decision.ledger {
                        #expect(next.status == .completed, "\(context)")
                    }
                    if next.status == .requiresReview {
                        #expect(decision.ledger == .none, "review keeps the hold: \(context)")
                    }
                    // Final statuses and the `done` schedule go together, always with an event.
                    #expect((decision.schedule == .done) == (next.phase == .finished), "\(context)")
                    if decision.schedule == .done && current.phase != .finished {
                        #expect(decision.emitsEvent && next.status.isTerminal, "\(context)")
                    }
                    // REQUIRES_REVIEW is left only for a terminal status, by a recheck or an operator.
                    if current.phase == .underReview {
                        #expect([.underReview, .finished].contains(next.phase), "\(context)")
                        if next.phase == .finished {
                            #expect([.reconciled, .operatorResolved].contains(next.reason?.code), "\(context)")
                        } else {
                            #expect(!decision.emitsEvent && decision.ledger == .none, "\(context)")
                        }
                    }
                    // Only a payout under review can be resolved by an operator.
                    if case .resolvedByOperator = outcome, current.phase != .underReview {
                        #expect(next == current && !decision.emitsEvent && decision.ledger == .none, "\(context)")
                    }
                    if case .hold = decision.ledger { #expect(current.phase == .accepted, "\(context)") }
                }
            }
        }
    }

    @Test("the happy path holds amount plus fee, executes once, and posts what Dollr debited")
    func happyPath() {
        var state = PayoutState(command: Self.command(), now: 0)
        guard case .predictFee(let query?) = Self.machine.action(for: state) else {
            Issue.record("expected a fee query")
            return
        }
        #expect(query.baseAmount == Money(minorUnits: 10_000, currency: .usd))
        var decision = Self.machine.apply(
            .feePredicted(payerAmount: Money(minorUnits: 10_100, currency: .usd)),
            to: state,
            now: 0
        )
        #expect(decision.ledger == .hold(currency: "USD", amountMinor: 10_100))
        state = decision.state
        guard case .createAccount(let account) = Self.machine.action(for: state) else {
            Issue.record("expected account creation")
            return
        }
        #expect(account.accountNumber?.revealed == "231771234567")
        state = Self.machine.apply(.accountCreated(id: 42), to: state, now: 0).state
        #expect(state.command.recipient?.phone == nil, "the phone is dropped once Dollr holds it")
        state = Self.machine.apply(.sessionCreated(id: "s1", walletID: "1"), to: state, now: 0).state
        #expect(Self.machine.action(for: state) == .markExecuting)
        decision = Self.machine.apply(.markedExecuting, to: state, now: 0)
        #expect(
            decision.followUp
                == .execute(ExecutePayoutRequest(sessionID: "s1", payoutAccountID: 42, referenceID: Self.referenceID))
        )
        state = decision.state
        decision = Self.machine.apply(.executed(Self.execution(.pending)), to: state, now: 0)
        #expect(decision.emitsEvent && decision.state.status == .pending)
        #expect(decision.schedule == .after(milliseconds: 2_000))
        state = decision.state
        decision = Self.machine.apply(.polled(Self.execution(.processing)), to: state, now: 2_000)
        #expect(decision.emitsEvent && decision.state.status == .processing)
        #expect(decision.schedule == .after(milliseconds: 3_000), "polls back off")
        state = decision.state
        decision = Self.machine.apply(.polled(Self.execution(.processing)), to: state, now: 5_000)
        #expect(!decision.emitsEvent, "no event without a status change")
        decision = Self.machine.apply(
            .polled(Self.execution(.completed, payer: 10_090)),
            to: decision.state,
            now: 9_000
        )
        #expect(
            decision.state.status == .completed && decision.ledger == .post(debitedMinor: 10_090)
                && decision.schedule == .done
        )
    }

    @Test("without a fee prediction the hold uses the fallback fee, rounded up, with a minimum per currency")
    func fallbackFee() {
        #expect(Self.machine.fallbackFee(for: 10_000, in: .usd) == 300)
        #expect(Self.machine.fallbackFee(for: 10_001, in: .usd) == 301)
        #expect(Self.machine.fallbackFee(for: 100, in: .usd) == 100, "USD minimum")
        #expect(Self.machine.fallbackFee(for: 100, in: .lrd) == 20_000, "LRD has its own minimum")
        #expect(Self.machine.fallbackFee(for: 1_000_000, in: .lrd) == 30_000, "a share above the minimum wins")
        let decision = Self.machine.apply(
            .feePredicted(payerAmount: nil),
            to: PayoutState(command: Self.command(), now: 0),
            now: 0
        )
        #expect(decision.ledger == .hold(currency: "USD", amountMinor: 10_300))
    }

    @Test("a prediction that fails transiently is asked again before the fallback fee is used")
    func predictionRetried() {
        var state = PayoutState(command: Self.command(), now: 0)
        for attempt in 1...Self.machine.policy.maximumPredictionRetries {
            let decision = Self.machine.apply(.feePredictionFailed(.server(status: 503)), to: state, now: 0)
            #expect(
                decision.state.phase == .accepted && decision.ledger == .none,
                "attempt \(attempt) waits and asks again"
            )
            #expect(decision.alert == .providerUnavailable)
            guard case .after = decision.schedule else {
                Issue.record("attempt \(attempt) is not rescheduled")
                return
            }
            state = decision.state
        }
        let fallback = Self.machine.apply(.feePredictionFailed(.server(status: 503)), to: state, now: 0)
        #expect(fallback.ledger == .hold(currency: "USD", amountMinor: 10_300), "retries spent: fallback fee")
    }

    @Test("a prediction Dollr refuses outright uses the fallback fee at once")
    func predictionRefused() {
        let decision = Self.machine.apply(
            .feePredictionFailed(.validation([])),
            to: PayoutState(command: Self.command(), now: 0),
            now: 0
        )
        #expect(decision.state.phase == .reserved && decision.ledger == .hold(currency: "USD", amountMinor: 10_300))
    }

    @Test("an insufficient wallet fails the payout before anything reaches Dollr")
    func insufficientFunds() {
        let decision = Self.machine.apply(
            .holdRefusedInsufficient(availableMinor: 50),
            to: PayoutState(command: Self.command(), now: 0),
            now: 0
        )
        #expect(decision.state.status == .failed && decision.state.reason?.code == .insufficientFunds)
        #expect(decision.ledger == .none && decision.schedule == .done)
    }

    @Test("a wallet without a declared balance follows the policy")
    func walletWithoutBalance() {
        let fresh = PayoutState(command: Self.command(), now: 0)
        let failing = Self.machine.apply(.holdRefusedWalletUnknown, to: fresh, now: 0)
        #expect(failing.state.reason?.code == .walletBalanceUnknown && failing.schedule == .done)
        var policy = EnginePolicy()
        policy.walletWithoutBalance = .executeUnchecked
        let lenient = PayoutStateMachine(policy: policy).apply(.holdRefusedWalletUnknown, to: fresh, now: 0)
        #expect(lenient.state.phase == .reserved && lenient.state.holdMinor == nil && lenient.schedule == .now)
    }

    @Test("Dollr's 404 for the reference means it never landed, once the execute cannot still be on its way")
    func notFoundReExecutes() {
        let executing = Self.state(in: .executing)
        let sentAt = executing.executeSentAt!
        let grace = EnginePolicy().notFoundGraceMilliseconds
        let early = Self.machine.apply(.failed(.notFound), to: executing, now: sentAt + grace - 1)
        #expect(early.state.phase == .executing && !early.emitsEvent, "within the grace period: poll again")
        guard case .after = early.schedule else {
            Issue.record("expected a later poll")
            return
        }
        let decision = Self.machine.apply(.failed(.notFound), to: executing, now: sentAt + grace)
        #expect(decision.state.phase == .accountReady && decision.state.sessionID == nil && decision.ledger == .none)
    }

    @Test("an expired session is replaced, up to the attempt limit")
    func sessionExpiry() {
        var state = Self.state(in: .executing)
        let retry = Self.machine.apply(.executeFailed(.sessionExpired), to: state, now: 0)
        #expect(retry.state.phase == .accountReady)
        state = Self.withExecuteAttempts(EnginePolicy().maximumExecuteAttempts, state)
        let giveUp = Self.machine.apply(.executeFailed(.sessionExpired), to: state, now: 0)
        #expect(giveUp.state.reason?.code == .providerRejected && giveUp.ledger == .void)
    }

    @Test("merchant-level refusals fail the payout and raise an alert instead of retrying")
    func merchantAlerts() {
        let executing = Self.state(in: .executing)
        let forbidden = Self.machine.apply(.executeFailed(.forbidden(detail: "unverified")), to: executing, now: 0)
        #expect(
            forbidden.state.reason?.code == .merchantNotVerified && forbidden.alert == .merchantNotVerified
                && forbidden.ledger == .void
        )
        let passcode = Self.machine.apply(.executeFailed(.passcodeRejected), to: executing, now: 0)
        #expect(passcode.state.reason?.code == .passcodeRejected && passcode.alert == .passcodeRejected)
        let earlyForbidden = Self.machine.apply(.failed(.forbidden(detail: "x")), to: Self.state(in: .reserved), now: 0)
        #expect(earlyForbidden.state.reason?.code == .merchantNotVerified)
    }

    @Test("rate limits and outages back off without failing the payout")
    func transientFailures() {
        let reserved = Self.state(in: .reserved)
        let limited = Self.machine.apply(.failed(.rateLimited(retryAfter: .seconds(7))), to: reserved, now: 0)
        #expect(
            limited.schedule == .after(milliseconds: 7_000)
                && limited.alert == .rateLimited(retryAfterMilliseconds: 7_000)
        )
        #expect(limited.state.phase == .reserved && !limited.emitsEvent)
        var state = reserved
        var delays: [Int64] = []
        for _ in 0..<8 {
            let decision = Self.machine.apply(.failed(.server(status: 503)), to: state, now: 0)
            if case .after(let delay) = decision.schedule { delays.append(delay) }
            state = decision.state
        }
        #expect(delays == [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000])
        let executeLimited = Self.machine.apply(
            .executeFailed(.rateLimited(retryAfter: .seconds(1))),
            to: Self.state(in: .executing),
            now: 0
        )
        #expect(executeLimited.state.phase == .sessionReady, "a 429 means execute was not processed")
    }

    @Test("an outcome that stays unknown past the budget ends REQUIRES_REVIEW with the hold kept")
    func pollBudget() {
        let polling = Self.state(in: .polling)
        let start = polling.pollingSince!
        let budget = EnginePolicy().pollBudgetMilliseconds
        let inBudget = Self.machine.apply(.polled(Self.execution(.processing)), to: polling, now: start + budget - 1)
        #expect(inBudget.state.phase == .polling)
        let late = Self.machine.apply(.polled(Self.execution(.processing)), to: polling, now: start + budget)
        #expect(late.state.status == .requiresReview && late.ledger == .none)
        let lateError = Self.machine.apply(.failed(.outcomeUnknown(.timeout)), to: polling, now: start + budget)
        #expect(lateError.state.status == .requiresReview)
        #expect(
            late.state.reason?.code == .outcomeUnknown && lateError.state.reason?.code == .outcomeUnknown,
            "REQUIRES_REVIEW says the outcome is unknown, not that Dollr failed it"
        )
    }

    @Test("REQUIRES_REVIEW keeps the hold and is asked about again; Dollr's definitive answer settles it as RECONCILED")
    func reviewRecheck() {
        let review = Self.state(in: .underReview)
        let interval = EnginePolicy().reviewRecheckIntervalMilliseconds
        let since = review.reviewSince!
        #expect(review.status == .requiresReview && review.reason?.code == .outcomeUnknown)

        let stillPending = Self.machine.apply(.polled(Self.execution(.processing)), to: review, now: since + interval)
        #expect(stillPending.state.phase == .underReview && !stillPending.emitsEvent && stillPending.ledger == .none)
        #expect(stillPending.schedule == .after(milliseconds: interval))
        let notFound = Self.machine.apply(.failed(.notFound), to: review, now: since + interval)
        #expect(
            notFound.state.phase == .underReview && notFound.ledger == .none,
            "a 404 proves nothing about a payout under review"
        )

        let completed = Self.machine.apply(
            .polled(Self.execution(.completed, payer: 10_080)),
            to: review,
            now: since + interval
        )
        #expect(completed.state.status == .completed && completed.state.reason?.code == .reconciled)
        #expect(completed.ledger == .post(debitedMinor: 10_080) && completed.emitsEvent && completed.schedule == .done)
        let failed = Self.machine.apply(.polled(Self.execution(.failed)), to: review, now: since + interval)
        #expect(failed.state.status == .failed && failed.state.reason?.code == .reconciled && failed.ledger == .void)

        let budget = EnginePolicy().reviewRecheckBudgetMilliseconds
        let pastBudget = Self.machine.apply(.polled(Self.execution(.processing)), to: review, now: since + budget)
        #expect(
            pastBudget.schedule == .parked && pastBudget.state.status == .requiresReview,
            "past the budget only an operator ends it"
        )
    }

    @Test("an operator's resolution posts what Dollr debited (or the hold) for COMPLETED and voids for FAILED")
    func operatorResolution() {
        let review = Self.state(in: .underReview)
        let paid = Self.machine.apply(
            .resolvedByOperator(.completed, dollrAnswer: Self.execution(.completed, payer: 10_070)),
            to: review,
            now: 9
        )
        #expect(
            paid.state.status == .completed && paid.state.reason?.code == .operatorResolved
                && paid.ledger == .post(debitedMinor: 10_070)
        )
        let unknown = Self.machine.apply(.resolvedByOperator(.completed, dollrAnswer: nil), to: review, now: 9)
        #expect(
            unknown.ledger == .post(debitedMinor: review.holdMinor!),
            "without Dollr's figure, the hold is what was debited"
        )
        let failed = Self.machine.apply(.resolvedByOperator(.failed, dollrAnswer: nil), to: review, now: 9)
        #expect(
            failed.state.status == .failed && failed.ledger == .void && failed.emitsEvent && failed.schedule == .done
        )
    }

    @Test("a 404 after Dollr has reported the payout is no proof it never landed: keep polling")
    func notFoundAfterAcknowledgement() {
        let polling = Self.state(in: .polling)  // Dollr reported PENDING
        #expect(polling.providerStatus == "PENDING")
        let later = polling.executeSentAt! + EnginePolicy().notFoundGraceMilliseconds * 10
        let decision = Self.machine.apply(.failed(.notFound), to: polling, now: later)
        #expect(decision.state.phase == .polling && decision.ledger == .none && !decision.emitsEvent)
        guard case .after = decision.schedule else {
            Issue.record("expected another poll")
            return
        }
        let pastBudget = Self.machine.apply(
            .failed(.notFound),
            to: polling,
            now: polling.pollingSince! + EnginePolicy().pollBudgetMilliseconds
        )
        #expect(pastBudget.state.status == .requiresReview && pastBudget.ledger == .none)
    }

    @Test("Dollr's 404 re-executes at most up to the attempt limit, then REQUIRES_REVIEW with the hold kept")
    func notFoundLoopIsCapped() {
        var executing = Self.state(in: .executing)
        executing = Self.withExecuteAttempts(EnginePolicy().maximumExecuteAttempts, executing)
        let decision = Self.machine.apply(
            .failed(.notFound),
            to: executing,
            now: executing.executeSentAt! + EnginePolicy().notFoundGraceMilliseconds
        )
        #expect(decision.state.status == .requiresReview && decision.ledger == .none)
        #expect(decision.state.reason?.code == .outcomeUnknown)
    }

    /// An executing payout whose first execute Dollr answered 404 for, re-executed from a new session.
    static func reExecuting() -> PayoutState {
        let executing = state(in: .executing)
        var state = machine.apply(
            .failed(.notFound),
            to: executing,
            now: executing.executeSentAt! + EnginePolicy().notFoundGraceMilliseconds
        ).state
        #expect(state.executePresumedLost == true && state.phase == .accountReady)
        state = machine.apply(.sessionCreated(id: "s2", walletID: "1"), to: state, now: 70_000).state
        state = machine.apply(.markedExecuting, to: state, now: 70_000).state
        #expect(state.phase == .executing && state.executeAttempts == 2)
        return state
    }

    @Test("after a presumed-lost execute, a refusal voids the hold only once Dollr confirms it knows neither")
    func refusalAfterPresumedLossIsConfirmed() {
        let refusals: [DollrError] = [.passcodeRejected, .forbidden(detail: "x"), .validation([])]
        for refusal in refusals {
            let confirming = Self.machine.apply(.executeFailed(refusal), to: Self.reExecuting(), now: 71_000)
            #expect(
                confirming.ledger == .none && !confirming.emitsEvent && confirming.state.phase == .polling,
                "\(refusal)"
            )
            #expect(Self.machine.action(for: confirming.state) == .pollStatus(Self.referenceID))
            // Dollr still does not know it: the refusal stands and the hold goes.
            let failed = Self.machine.apply(.failed(.notFound), to: confirming.state, now: 72_000)
            #expect(
                failed.state.status == .failed && failed.ledger == .void
                    && failed.state.reason == confirming.state.pendingFailure
            )
            // The first execute landed after all: Dollr's word decides, and its debit is posted.
            let landed = Self.machine.apply(.polled(Self.execution(.completed)), to: confirming.state, now: 72_000)
            #expect(landed.state.status == .completed && landed.ledger == .post(debitedMinor: 10_100))
        }
        // The merchant-level alert is raised at once, not after the confirmation.
        let passcode = Self.machine.apply(.executeFailed(.passcodeRejected), to: Self.reExecuting(), now: 71_000)
        #expect(passcode.alert == .passcodeRejected)
    }

    @Test("a provider FAILED voids the hold with the gateway's reason")
    func providerFailed() {
        let decision = Self.machine.apply(.polled(Self.execution(.failed)), to: Self.state(in: .polling), now: 5_000)
        #expect(
            decision.state.status == .failed && decision.state.reason?.code == .providerFailed
                && decision.ledger == .void
        )
    }
}
