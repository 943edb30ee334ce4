import DollrClient

/// The payout lifecycle as a pure function: a state and an outcome in, a ``Decision`` out. No I/O,
/// no clock (time comes in as `now`), so every path is tested exhaustively without a network; the
/// engine performs the actions and commits the decisions.
///
/// Safety rules it encodes:
/// - execute is only ever issued from `sessionReady`, after `executing` has been committed;
/// - after an unknown outcome (timeout, lost connection, 5xx, crash while `executing`) the next
///   step is a status poll, never an execute; a new execute with the same reference_id happens only
///   when Dollr answers 404 for it (it never landed), and Dollr itself refuses a second execution
///   of a reference_id (422 duplicate), which sends us back to polling;
/// - a hold is voided only when Dollr says FAILED or the payout failed before execute; on an
///   unknown outcome past the budget it is kept (REQUIRES_REVIEW).
struct PayoutStateMachine: Sendable {
    typealias State = PayoutState

    var policy: EnginePolicy

    // MARK: - What to do next

    func action(for state: PayoutState) -> EngineAction {
        switch state.progress {
        case .accepted(let accepted):
            switch accepted.account {
            case .registered:
                // A registered account's method and provider are Dollr's to know, not ours.
                return .predictFee(nil)
            case .toRegister(let recipient):
                return .predictFee(
                    AmountAndFeesQuery(
                        baseAmount: state.amount,
                        targetCurrency: state.currency,
                        paymentMethod: recipient.method,
                        provider: recipient.provider
                    )
                )
            }
        case .reserved(let reserved):
            switch reserved.account {
            case .registered(let id):
                return createSession(id, state)
            case .toRegister(let recipient):
                return .createAccount(
                    CreatePaymentAccountRequest(
                        accountName: recipient.accountName,
                        provider: recipient.provider,
                        method: recipient.method,
                        partyID: recipient.partyID,
                        countryCode: recipient.countryCode,
                        accountNumber: recipient.phone
                    )
                )
            }
        case .accountReady(let ready):
            return createSession(ready.payoutAccountID, state)
        case .sessionReady:
            return .markExecuting
        case .executing, .polling, .underReview:
            // From `executing` this is crash recovery: the execute may have landed, so look first.
            return .pollStatus(state.request.referenceID.uuid)
        case .finished:
            return .none
        }
    }

    private func createSession(_ payoutAccountID: Int, _ state: PayoutState) -> EngineAction {
        .createSession(CreatePayoutSessionRequest(payoutAccountID: payoutAccountID, amount: state.amount))
    }

    // MARK: - What an outcome means

    func apply(_ outcome: ActionOutcome, to current: PayoutState, now: Int64) -> Decision {
        var state = current
        state.transientFailures = outcome.isTransientFailure ? state.transientFailures : 0

        switch current.progress {
        case .accepted(let accepted): return apply(outcome, accepted, state, current: current, now: now)
        case .reserved(let reserved): return apply(outcome, reserved, state, current: current)
        case .accountReady(let ready): return apply(outcome, ready, state, current: current)
        case .sessionReady(let ready): return apply(outcome, ready, state, current: current, now: now)
        case .executing(let executing): return apply(outcome, executing, state, current: current, now: now)
        case .polling(let polling): return apply(outcome, polling, state, current: current, now: now)
        case .underReview(let review): return apply(outcome, review, state, current: current, now: now)
        case .finished:
            // A finished payout stays finished, whatever arrives late.
            return Decision(state: current, emitsEvent: false, ledger: .none, schedule: .done)
        }
    }

    // MARK: - Outcomes by phase

    private func apply(
        _ outcome: ActionOutcome,
        _ accepted: State.Accepted,
        _ state: PayoutState,
        current: PayoutState,
        now: Int64
    ) -> Decision {
        switch outcome {
        case .feePredicted(let payerAmount):
            return reserve(payerAmount, for: accepted.account, state: state)

        case .feePredictionFailed(let error):
            if error.isTransient, state.transientFailures < policy.maximumPredictionRetries {
                return retryLater(state, error)
            }
            return apply(.feePredicted(payerAmount: nil), to: state, now: now)

        case .holdRefusedInsufficient(let available):
            // Decided again from `accepted`: the hold that was refused is not part of this state.
            let needed = state.amount
            let have = Money(minorUnits: available, currency: state.currency)
            return finish(
                state,
                .failed,
                PayoutReason(
                    .insufficientFunds,
                    "wallet available balance \(have) does not cover \(needed) (amount + fee)"
                ),
                ledger: .none
            )

        case .holdRefusedWalletUnknown:
            return walletWithoutBalance(for: accepted.account, state: state)

        case .accountCreated, .sessionCreated, .markedExecuting, .executed, .polled, .executeFailed, .failed,
            .resolvedByOperator:
            return unexpected(current)
        }
    }

    private func apply(
        _ outcome: ActionOutcome,
        _ reserved: State.Reserved,
        _ state: PayoutState,
        current: PayoutState
    ) -> Decision {
        var next = state
        switch outcome {
        case .accountCreated(let id):
            // The account holds the phone now; the state no longer does.
            next.progress = .accountReady(State.AccountReady(hold: reserved.hold, payoutAccountID: id, earlier: nil))
            return Decision(state: next, emitsEvent: false, ledger: .none, schedule: .now)

        case .sessionCreated(let id, let walletID):
            switch reserved.account {
            case .registered(let accountID):
                next.progress = .sessionReady(
                    State.SessionReady(
                        hold: reserved.hold,
                        payoutAccountID: accountID,
                        session: State.Session(id: id, walletID: walletID),
                        earlier: nil
                    )
                )
                return Decision(state: next, emitsEvent: false, ledger: .none, schedule: .now)
            case .toRegister:
                // A session is only asked for once the account exists: this one is out of its order.
                return unexpected(current)
            }

        case .failed(let error):
            return beforeExecute(error, state: state, confirmFirst: nil)

        case .feePredicted, .feePredictionFailed, .holdRefusedInsufficient, .holdRefusedWalletUnknown,
            .markedExecuting, .executed, .polled, .executeFailed, .resolvedByOperator:
            return unexpected(current)
        }
    }

    private func apply(
        _ outcome: ActionOutcome,
        _ ready: State.AccountReady,
        _ state: PayoutState,
        current: PayoutState
    ) -> Decision {
        switch outcome {
        case .sessionCreated(let id, let walletID):
            var next = state
            next.progress = .sessionReady(
                State.SessionReady(
                    hold: ready.hold,
                    payoutAccountID: ready.payoutAccountID,
                    session: State.Session(id: id, walletID: walletID),
                    earlier: ready.earlier
                )
            )
            return Decision(state: next, emitsEvent: false, ledger: .none, schedule: .now)

        case .failed(let error):
            return beforeExecute(
                error,
                state: state,
                confirmFirst: confirmation(ready.hold, ready.payoutAccountID, after: ready.earlier)
            )

        case .feePredicted, .feePredictionFailed, .holdRefusedInsufficient, .holdRefusedWalletUnknown,
            .accountCreated, .markedExecuting, .executed, .polled, .executeFailed, .resolvedByOperator:
            return unexpected(current)
        }
    }

    private func apply(
        _ outcome: ActionOutcome,
        _ ready: State.SessionReady,
        _ state: PayoutState,
        current: PayoutState,
        now: Int64
    ) -> Decision {
        switch outcome {
        case .markedExecuting:
            let earlier = ready.earlier
            let executing = State.Executing(
                hold: ready.hold,
                payoutAccountID: ready.payoutAccountID,
                sessionID: ready.session.id,
                execution: State.Execution(
                    attempts: (earlier?.attempts ?? 0) + 1,
                    sentAt: now,
                    walletID: ready.session.walletID,
                    presumedLost: earlier?.presumedLost ?? false,
                    pollingSince: earlier?.pollingSince,
                    polls: earlier?.polls ?? 0
                )
            )
            var next = state
            next.progress = .executing(executing)
            return Decision(
                state: next,
                emitsEvent: false,
                ledger: .none,
                schedule: .now,
                followUp: .execute(
                    ExecutePayoutRequest(
                        sessionID: executing.sessionID,
                        payoutAccountID: executing.payoutAccountID,
                        referenceID: state.request.referenceID.uuid
                    )
                )
            )

        case .feePredicted, .feePredictionFailed, .holdRefusedInsufficient, .holdRefusedWalletUnknown,
            .accountCreated, .sessionCreated, .executed, .polled, .executeFailed, .failed, .resolvedByOperator:
            return unexpected(current)
        }
    }

    private func apply(
        _ outcome: ActionOutcome,
        _ executing: State.Executing,
        _ state: PayoutState,
        current: PayoutState,
        now: Int64
    ) -> Decision {
        // Observed like a poll: the same facts, and Dollr has not answered yet.
        let observed = State.Polling(
            hold: executing.hold,
            payoutAccountID: executing.payoutAccountID,
            sessionID: executing.sessionID,
            execution: executing.execution,
            answer: nil,
            pendingFailure: nil
        )
        switch outcome {
        case .executed(let execution), .polled(let execution):
            return observe(execution, observed, state, now: now, countsAsPoll: outcome.isPoll)

        case .executeFailed(let error):
            return executeFailed(error, executing, state: state, now: now)

        case .failed(let error):
            return pollFailed(error, observed, state, now: now) { execution in
                var stays = executing
                stays.execution = execution
                return .executing(stays)
            }

        case .feePredicted, .feePredictionFailed, .holdRefusedInsufficient, .holdRefusedWalletUnknown,
            .accountCreated, .sessionCreated, .markedExecuting, .resolvedByOperator:
            return unexpected(current)
        }
    }

    private func apply(
        _ outcome: ActionOutcome,
        _ polling: State.Polling,
        _ state: PayoutState,
        current: PayoutState,
        now: Int64
    ) -> Decision {
        switch outcome {
        case .polled(let execution):
            return observe(execution, polling, state, now: now, countsAsPoll: true)

        case .failed(let error):
            return pollFailed(error, polling, state, now: now) { execution in
                var stays = polling
                stays.execution = execution
                return .polling(stays)
            }

        case .feePredicted, .feePredictionFailed, .holdRefusedInsufficient, .holdRefusedWalletUnknown,
            .accountCreated, .sessionCreated, .markedExecuting, .executed, .executeFailed, .resolvedByOperator:
            return unexpected(current)
        }
    }

    private func apply(
        _ outcome: ActionOutcome,
        _ review: State.UnderReview,
        _ state: PayoutState,
        current: PayoutState,
        now: Int64
    ) -> Decision {
        switch outcome {
        case .polled(let execution):
            return recheck(execution, review, state, now: now)

        case .failed:
            // A 404 or an outage says nothing new about a payout whose outcome is unknown.
            return recheckLater(state, review, now: now)

        case .resolvedByOperator(let status, let answer):
            return resolve(state, review, as: status, dollrAnswer: answer)

        case .feePredicted, .feePredictionFailed, .holdRefusedInsufficient, .holdRefusedWalletUnknown,
            .accountCreated, .sessionCreated, .markedExecuting, .executed, .executeFailed:
            return unexpected(current)
        }
    }

    /// An outcome that does not belong to the phase (a stale result after a lost lease, a
    /// programming error): nothing changes, and the payout is looked at again later.
    private func unexpected(_ current: PayoutState) -> Decision {
        Decision(
            state: current,
            emitsEvent: false,
            ledger: .none,
            schedule: .after(milliseconds: policy.retryBaseDelayMilliseconds)
        )
    }

    // MARK: - Outcomes by step

    private func reserve(_ payerAmount: Money?, for account: State.PayeeAccount, state: PayoutState) -> Decision {
        let amount = state.amountMinor
        let hold: Int64
        if let payerAmount, payerAmount.currency == state.currency, payerAmount.minorUnits >= amount {
            hold = payerAmount.minorUnits
        } else {
            hold = amount + fallbackFee(for: amount, in: state.currency)
        }
        var next = state
        next.progress = .reserved(
            State.Reserved(hold: State.Hold(totalMinor: hold, feeMinor: hold - amount), account: account)
        )
        return Decision(
            state: next,
            emitsEvent: false,
            ledger: .hold(currency: state.currency.code, amountMinor: hold),
            schedule: .now
        )
    }

    private func walletWithoutBalance(for account: State.PayeeAccount, state: PayoutState) -> Decision {
        switch policy.walletWithoutBalance {
        case .fail:
            return finish(
                state,
                .failed,
                PayoutReason(.walletBalanceUnknown, "no balance is declared for the \(state.currency.code) wallet"),
                ledger: .none
            )
        case .executeUnchecked:
            var next = state
            next.progress = .reserved(State.Reserved(hold: nil, account: account))
            return Decision(state: next, emitsEvent: false, ledger: .none, schedule: .now)
        }
    }

    /// Dollr's answer about the execution, from `executing` or `polling` (as `observed`).
    private func observe(
        _ execution: PayoutExecution,
        _ observed: State.Polling,
        _ state: PayoutState,
        now: Int64,
        countsAsPoll: Bool
    ) -> Decision {
        let since = observed.execution.pollingSince ?? now
        var polling = observed
        polling.execution.pollingSince = since
        if countsAsPoll { polling.execution.polls += 1 }
        polling.answer = State.DollrAnswer(
            status: execution.status.rawValue,
            transactionID: execution.providerTransactionID ?? observed.answer?.transactionID
        )
        polling.pendingFailure = nil  // Dollr knows the payout after all: its word decides
        var next = state
        next.progress = .polling(polling)

        switch execution.status {
        case .completed:
            // Post what Dollr debited when it reports it in the wallet's currency; the hold is the
            // best estimate otherwise.
            let debited =
                execution.payerAmount.currency == state.currency
                ? execution.payerAmount.minorUnits : (polling.hold?.totalMinor ?? state.amountMinor)
            return finish(
                next,
                .completed,
                nil,
                ledger: polling.hold == nil ? .none : .post(debitedMinor: debited),
                debited: debited
            )
        case .failed:
            let detail = execution.walletMessage ?? execution.gatewayMessage ?? "Dollr reports the payout FAILED"
            return finish(
                next,
                .failed,
                PayoutReason(.providerFailed, detail),
                ledger: polling.hold == nil ? .none : .void
            )
        default:  // PENDING, PROCESSING, or a status Dollr adds later: not final
            if now - since >= policy.pollBudgetMilliseconds {
                return requiresReview(
                    next,
                    polling,
                    "still \(execution.status) at Dollr after the polling budget",
                    now: now
                )
            }
            let published: PayoutStatus = execution.status == .pending ? .pending : .processing
            let changed = published != state.status
            next.status = published
            return Decision(
                state: next,
                emitsEvent: changed,
                ledger: .none,
                schedule: .after(milliseconds: pollDelay(afterPolls: polling.execution.polls))
            )
        }
    }

    /// A call before execute failed (registering the recipient, creating the session).
    private func beforeExecute(_ error: DollrError, state: PayoutState, confirmFirst: State.Polling?) -> Decision {
        switch error {
        case .validation(let issues):
            return failBeforeLanding(
                state,
                PayoutReason(
                    .providerRejected,
                    "Dollr refused the request: \(issues.map(\.description).joined(separator: "; "))"
                ),
                confirmFirst: confirmFirst
            )
        case .notFound:
            return failBeforeLanding(
                state,
                PayoutReason(
                    .providerRejected,
                    "Dollr does not know payout account \(state.payoutAccountID.map(String.init) ?? "?")"
                ),
                confirmFirst: confirmFirst
            )
        case .forbidden(let detail):
            return failBeforeLanding(
                state,
                PayoutReason(.merchantNotVerified, "Dollr refused the merchant (403): \(detail)"),
                alert: .merchantNotVerified,
                confirmFirst: confirmFirst
            )
        case .passcodeRejected:
            return failBeforeLanding(
                state,
                PayoutReason(.passcodeRejected, "Dollr refused the merchant passcode"),
                alert: .passcodeRejected,
                confirmFirst: confirmFirst
            )
        case .unauthorized, .duplicateReference, .sessionExpired, .rateLimited, .server, .outcomeUnknown,
            .connectionFailed, .invalidResponse, .unexpectedStatus, .cancelled:
            return retryLater(state, error)
        }
    }

    private func executeFailed(
        _ error: DollrError,
        _ executing: State.Executing,
        state: PayoutState,
        now: Int64
    ) -> Decision {
        var next = state
        let confirmFirst = confirmation(executing.hold, executing.payoutAccountID, after: executing.execution)
        switch error {
        case .duplicateReference, .outcomeUnknown, .invalidResponse, .unexpectedStatus, .server:
            // Dollr may have (or certainly has) the execution: find out by polling, never by executing.
            var execution = executing.execution
            execution.pollingSince = execution.pollingSince ?? now
            next.progress = .polling(
                State.Polling(
                    hold: executing.hold,
                    payoutAccountID: executing.payoutAccountID,
                    sessionID: executing.sessionID,
                    execution: execution,
                    answer: nil,
                    pendingFailure: nil
                )
            )
            return Decision(
                state: next,
                emitsEvent: false,
                ledger: .none,
                schedule: .after(milliseconds: error == .duplicateReference ? 0 : policy.pollInitialDelayMilliseconds)
            )
        case .sessionExpired, .notFound:
            guard executing.execution.attempts < policy.maximumExecuteAttempts else {
                return failBeforeLanding(
                    state,
                    PayoutReason(
                        .providerRejected,
                        "no session could be executed after \(executing.execution.attempts) attempts"
                    ),
                    confirmFirst: confirmFirst
                )
            }
            next.progress = .accountReady(
                State.AccountReady(
                    hold: executing.hold,
                    payoutAccountID: executing.payoutAccountID,
                    earlier: executing.execution
                )
            )
            return Decision(state: next, emitsEvent: false, ledger: .none, schedule: .now)
        case .passcodeRejected:
            return failBeforeLanding(
                state,
                PayoutReason(.passcodeRejected, "Dollr refused the merchant passcode"),
                alert: .passcodeRejected,
                confirmFirst: confirmFirst
            )
        case .forbidden(let detail):
            return failBeforeLanding(
                state,
                PayoutReason(.merchantNotVerified, "Dollr refused the merchant (403): \(detail)"),
                alert: .merchantNotVerified,
                confirmFirst: confirmFirst
            )
        case .validation(let issues):
            return failBeforeLanding(
                state,
                PayoutReason(
                    .providerRejected,
                    "Dollr refused the execution: \(issues.map(\.description).joined(separator: "; "))"
                ),
                confirmFirst: confirmFirst
            )
        case .rateLimited, .connectionFailed, .cancelled, .unauthorized:
            // Not processed by Dollr: the same session may be executed again later.
            next.progress = .sessionReady(
                State.SessionReady(
                    hold: executing.hold,
                    payoutAccountID: executing.payoutAccountID,
                    session: State.Session(id: executing.sessionID, walletID: executing.execution.walletID),
                    earlier: executing.execution
                )
            )
            return retryLater(next, error)
        }
    }

    /// A status poll failed, from `executing` or `polling` (as `observed`); `stays` is that phase
    /// again, with the polling budget's start recorded.
    private func pollFailed(
        _ error: DollrError,
        _ observed: State.Polling,
        _ state: PayoutState,
        now: Int64,
        stays: (State.Execution) -> State.Progress
    ) -> Decision {
        var next = state
        if error == .notFound, let pending = observed.pendingFailure {
            // Asked once more before letting the hold go: neither execute landed.
            return finish(state, .failed, pending, ledger: observed.hold == nil ? .none : .void)
        }
        var polled = observed
        polled.execution.pollingSince = observed.execution.pollingSince ?? now
        let since = polled.execution.pollingSince ?? now
        if error == .notFound, let answer = observed.answer {
            // Dollr has reported this reference_id before: its 404 now contradicts that, and is no
            // proof the payout never landed. Keep polling; the budget ends it in REQUIRES_REVIEW.
            if now - since >= policy.pollBudgetMilliseconds {
                return requiresReview(
                    state,
                    polled,
                    "Dollr reported \(answer.status) for this payout, then no longer knew it",
                    now: now
                )
            }
            next.progress = stays(polled.execution)
            return retryLater(next, error)
        }
        if error == .notFound, now - observed.execution.sentAt < policy.notFoundGraceMilliseconds {
            // Too early to conclude: an execute that timed out here may still be reaching Dollr.
            return retryLater(state, error)
        }
        if error == .notFound {
            // Dollr does not know the reference_id: the execute never landed. Execute again with the
            // same reference_id from a fresh session; if it did land meanwhile, Dollr answers 422
            // duplicate and we are back to polling.
            guard observed.execution.attempts < policy.maximumExecuteAttempts else {
                return requiresReview(
                    state,
                    observed,
                    "Dollr does not know the reference_id after \(observed.execution.attempts) executes",
                    now: now
                )
            }
            var earlier = observed.execution
            earlier.presumedLost = true
            next.progress = .accountReady(
                State.AccountReady(hold: observed.hold, payoutAccountID: observed.payoutAccountID, earlier: earlier)
            )
            return Decision(state: next, emitsEvent: false, ledger: .none, schedule: .now)
        }
        if now - since >= policy.pollBudgetMilliseconds {
            return requiresReview(state, polled, "outcome unknown after the polling budget: \(error)", now: now)
        }
        next.progress = stays(polled.execution)
        return retryLater(next, error)
    }

    // MARK: - Helpers

    /// The state ended with `status`. What the payout got to stays with it (see ``PayoutState/Finished``).
    private func finish(
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

    private func requiresReview(
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
    private func recheck(
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
            let debited =
                execution.payerAmount.currency == state.currency
                ? execution.payerAmount.minorUnits : (review.hold?.totalMinor ?? state.amountMinor)
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

    private func recheckLater(_ current: PayoutState, _ review: State.UnderReview, now: Int64) -> Decision {
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
    private func resolve(
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
    private func confirmation(
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
    private func failBeforeLanding(
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

    private func retryLater(_ current: PayoutState, _ error: DollrError) -> Decision {
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
