import DollrClient

// Finishing, retrying and the policy's arithmetic (back-off, poll delays, fallback fees).
extension PayoutStateMachine {
    /// What a COMPLETED payout posts: what Dollr debited when it reports it in the wallet's
    /// currency; the hold (or, without one, the amount) is the best estimate otherwise.
    func debit(reportedBy execution: PayoutExecution, holdMinor: Int64?, state: PayoutState) -> Int64 {
        execution.payerAmount.currency == state.currency
            ? execution.payerAmount.minorUnits : (holdMinor ?? state.amountMinor)
    }

    /// The state ended with `status`. What the payout got to stays with it (see ``PayoutState/Finished``).
    func finish(
        _ current: PayoutState,
        _ status: PayoutStatus,
        _ reason: PayoutReason?,
        ledger: LedgerOperation,
        debited: Int64? = nil
    ) -> Decision {
        var state = current
        state.progress = .finished(
            State.Finished(
                hold: current.hold,
                payoutAccountID: current.payoutAccountID,
                sessionID: current.sessionID,
                execution: current.execution,
                answer: current.answer,
                debitedMinor: debited,
                reviewSince: current.reviewSince
            )
        )
        state.status = status
        state.reason = reason
        return Decision(state: state, emitsEvent: true, ledger: ledger, schedule: .done)
    }

    func requiresReview(
        _ current: PayoutState,
        _ observed: State.Polling,
        _ message: String,
        now: Int64
    ) -> Decision {
        // The hold stays: money may have left the wallet. Dollr is asked again on a slow schedule,
        // and an operator can resolve the payout meanwhile.
        var state = current
        state.progress = .underReview(
            State.UnderReview(
                hold: observed.hold,
                payoutAccountID: observed.payoutAccountID,
                sessionID: observed.sessionID,
                execution: observed.execution,
                answer: observed.answer,
                since: now
            )
        )
        state.status = .requiresReview
        state.reason = PayoutReason(.outcomeUnknown, message)
        let schedule: Schedule =
            policy.reviewRecheckBudgetMilliseconds > 0
            ? .after(milliseconds: policy.reviewRecheckIntervalMilliseconds) : .parked
        return Decision(state: state, emitsEvent: true, ledger: .none, schedule: schedule)
    }

    /// Dollr's answer on a recheck of a payout under review: a definitive one settles it.
    func recheck(
        _ execution: PayoutExecution,
        _ current: State.UnderReview,
        _ state: PayoutState,
        now: Int64
    ) -> Decision {
        var review = current
        review.answer = State.DollrAnswer(
            status: execution.status.rawValue,
            transactionID: execution.providerTransactionID ?? current.answer?.transactionID
        )
        var next = state
        next.progress = .underReview(review)
        switch execution.status {
        case .completed:
            let debited = debit(reportedBy: execution, holdMinor: review.hold?.totalMinor, state: state)
            return finish(
                next,
                .completed,
                PayoutReason(.reconciled, "Dollr reported COMPLETED when asked again under review"),
                ledger: review.hold == nil ? .none : .post(debitedMinor: debited),
                debited: debited
            )
        case .failed:
            let detail = execution.walletMessage ?? execution.gatewayMessage ?? "no detail"
            return finish(
                next,
                .failed,
                PayoutReason(.reconciled, "Dollr reported FAILED when asked again under review: \(detail)"),
                ledger: review.hold == nil ? .none : .void
            )
        default:  // not final yet
            return recheckLater(next, review, now: now)
        }
    }

    func recheckLater(_ current: PayoutState, _ review: State.UnderReview, now: Int64) -> Decision {
        var state = current
        state.transientFailures = 0
        if now - review.since >= policy.reviewRecheckBudgetMilliseconds {
            return Decision(state: state, emitsEvent: false, ledger: .none, schedule: .parked)
        }
        return Decision(
            state: state,
            emitsEvent: false,
            ledger: .none,
            schedule: .after(milliseconds: policy.reviewRecheckIntervalMilliseconds)
        )
    }

    /// An operator's resolution: COMPLETED posts the hold with what Dollr debited (or the hold's
    /// estimate), FAILED voids it. Which answer to believe was the operator's call, made with
    /// Dollr's answer in front of them; the audit record keeps both.
    func resolve(
        _ state: PayoutState,
        _ current: State.UnderReview,
        as status: PayoutStatus,
        dollrAnswer answer: PayoutExecution?
    ) -> Decision {
        var review = current
        if let answer {
            review.answer = State.DollrAnswer(
                status: answer.status.rawValue,
                transactionID: answer.providerTransactionID ?? current.answer?.transactionID
            )
        }
        var next = state
        next.progress = .underReview(review)
        let reason = PayoutReason(.operatorResolved, "resolved as \(status.rawValue) by an operator; see the audit log")
        if status == .completed {
            let reported = answer.flatMap {
                $0.status == .completed && $0.payerAmount.currency == state.currency ? $0.payerAmount.minorUnits : nil
            }
            let debited = reported ?? review.hold?.totalMinor ?? state.amountMinor
            return finish(
                next,
                .completed,
                reason,
                ledger: review.hold == nil ? .none : .post(debitedMinor: debited),
                debited: debited
            )
        }
        return finish(next, .failed, reason, ledger: review.hold == nil ? .none : .void)
    }

    /// Where a refusal waits to be confirmed: `polling` once more, when an earlier execute was only
    /// presumed lost (see ``failBeforeLanding(_:_:alert:confirmFirst:)``); nil when none was.
    func confirmation(
        _ hold: State.Hold?,
        _ payoutAccountID: Int,
        after earlier: State.Execution?
    ) -> State.Polling? {
        guard let earlier, earlier.presumedLost else { return nil }
        return State.Polling(
            hold: hold,
            payoutAccountID: payoutAccountID,
            sessionID: nil,
            execution: earlier,
            answer: nil,
            pendingFailure: nil
        )
    }

    /// A refusal that ends the payout before it reached Dollr, so the hold is voided. But if an
    /// earlier execute of this reference_id was only presumed lost (Dollr answered 404 for it),
    /// Dollr is asked once more first (`confirmFirst`): FAILED must never stand for a payout that
    /// was paid.
    func failBeforeLanding(
        _ current: PayoutState,
        _ reason: PayoutReason,
        alert: EngineAlert? = nil,
        confirmFirst: State.Polling?
    ) -> Decision {
        var decision: Decision
        if var polling = confirmFirst {
            polling.pendingFailure = reason
            var state = current
            state.progress = .polling(polling)
            decision = Decision(state: state, emitsEvent: false, ledger: .none, schedule: .now)
        } else {
            decision = finish(current, .failed, reason, ledger: current.hold == nil ? .none : .void)
        }
        decision.alert = alert
        return decision
    }

    func retryLater(_ current: PayoutState, _ error: DollrError) -> Decision {
        var state = current
        state.transientFailures += 1
        let delay: Int64
        var alert: EngineAlert? = .providerUnavailable
        switch error {
        case .rateLimited(let retryAfter):
            delay = max(retryAfter.wholeMilliseconds, policy.retryBaseDelayMilliseconds)
            alert = .rateLimited(retryAfterMilliseconds: delay)
        case .unauthorized:
            delay = backoff(state.transientFailures)
            alert = .credentialsRejected
        case .forbidden, .validation, .duplicateReference, .sessionExpired, .passcodeRejected, .notFound, .server,
            .outcomeUnknown, .connectionFailed, .invalidResponse, .unexpectedStatus, .cancelled:
            delay = backoff(state.transientFailures)
        }
        return Decision(
            state: state,
            emitsEvent: false,
            ledger: .none,
            schedule: .after(milliseconds: delay),
            alert: alert
        )
    }

    func backoff(_ failures: Int) -> Int64 {
        let exponent = min(max(failures - 1, 0), 20)
        return min(policy.retryBaseDelayMilliseconds << exponent, policy.retryMaximumDelayMilliseconds)
    }

    func pollDelay(afterPolls polls: Int) -> Int64 {
        var delay = policy.pollInitialDelayMilliseconds
        for _ in 0..<max(polls, 0) {
            delay = delay * policy.pollGrowthPercent / 100
            if delay >= policy.pollMaximumDelayMilliseconds { return policy.pollMaximumDelayMilliseconds }
        }
        return min(delay, policy.pollMaximumDelayMilliseconds)
    }

    func fallbackFee(for amountMinor: Int64, in currency: CurrencyCode) -> Int64 {
        let proportional = (amountMinor * policy.fallbackFeeBasisPoints + 9_999) / 10_000  // rounded up
        return max(proportional, policy.fallbackFeeMinimums[currency] ?? 0)
    }
}

extension Decision {
    init(state: PayoutState, emitsEvent: Bool, ledger: LedgerOperation, schedule: Schedule, alert: EngineAlert? = nil) {
        self.init(state: state, emitsEvent: emitsEvent, ledger: ledger, schedule: schedule, alert: alert, followUp: nil)
    }

    init(state: PayoutState, emitsEvent: Bool, ledger: LedgerOperation, schedule: Schedule, followUp: EngineAction?) {
        self.init(
            state: state,
            emitsEvent: emitsEvent,
            ledger: ledger,
            schedule: schedule,
            alert: nil,
            followUp: followUp
        )
    }
}

extension ActionOutcome {
    var isTransientFailure: Bool {
        switch self {
        case .failed(let error), .executeFailed(let error), .feePredictionFailed(let error): error.isTransient
        case .feePredicted, .holdRefusedInsufficient, .holdRefusedWalletUnknown, .accountCreated, .sessionCreated,
            .markedExecuting, .executed, .polled, .resolvedByOperator:
            false
        }
    }

    var isPoll: Bool { if case .polled = self { true } else { false } }
}

extension DollrError {
    /// Failures that say nothing about the request itself: asking again later may succeed.
    var isTransient: Bool {
        switch self {
        case .rateLimited, .server, .connectionFailed, .outcomeUnknown, .invalidResponse, .unexpectedStatus, .cancelled,
            .unauthorized:
            true
        case .forbidden, .validation, .duplicateReference, .sessionExpired, .passcodeRejected, .notFound: false
        }
    }
}
