import DollrClient

// The steps phases share: reserving, polling, settling.
extension PayoutStateMachine {
    func reserve(_ payerAmount: Money?, for account: State.PayeeAccount, state: PayoutState) -> Decision {
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

    func walletWithoutBalance(for account: State.PayeeAccount, state: PayoutState) -> Decision {
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
    func observe(
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
            let debited = debit(reportedBy: execution, holdMinor: polling.hold?.totalMinor, state: state)
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
    func beforeExecute(_ error: DollrError, state: PayoutState, confirmFirst: State.Polling?) -> Decision {
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

    func executeFailed(
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
    func pollFailed(
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
}
