import DollrClient

import struct Foundation.UUID

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
    var policy: EnginePolicy

    // MARK: - What to do next

    func action(for state: PayoutState) -> EngineAction {
        switch state.phase {
        case .accepted:
            guard let recipient = state.command.recipient else { return .predictFee(nil) }
            return .predictFee(
                AmountAndFeesQuery(
                    baseAmount: state.amount,
                    targetCurrency: state.currency,
                    paymentMethod: PaymentMethod(rawValue: recipient.method),
                    provider: PaymentProvider(rawValue: recipient.provider)
                )
            )
        case .reserved:
            if state.payoutAccountID != nil { return createSession(state) }
            guard let recipient = state.command.recipient, let phoneText = recipient.phone,
                let phone = try? PhoneNumber(phoneText)
            else {
                return .none  // unreachable by construction: a new recipient keeps its phone until the account exists
            }
            return .createAccount(
                CreatePaymentAccountRequest(
                    accountName: recipient.accountName,
                    provider: PaymentProvider(rawValue: recipient.provider),
                    method: PaymentMethod(rawValue: recipient.method),
                    partyID: recipient.partyID,
                    countryCode: recipient.countryCode,
                    accountNumber: phone
                )
            )
        case .accountReady:
            return createSession(state)
        case .sessionReady:
            return .markExecuting
        case .executing, .polling, .underReview:
            // From `executing` this is crash recovery: the execute may have landed, so look first.
            return .pollStatus(state.command.referenceID.uuid)
        case .finished:
            return .none
        }
    }

    private func createSession(_ state: PayoutState) -> EngineAction {
        .createSession(CreatePayoutSessionRequest(payoutAccountID: state.payoutAccountID!, amount: state.amount))
    }

    func executeRequest(for state: PayoutState) -> ExecutePayoutRequest {
        ExecutePayoutRequest(
            sessionID: state.sessionID!,
            payoutAccountID: state.payoutAccountID!,
            referenceID: state.command.referenceID.uuid
        )
    }

    // MARK: - What an outcome means

    func apply(_ outcome: ActionOutcome, to current: PayoutState, now: Int64) -> Decision {
        var state = current
        state.transientFailures = outcome.isTransientFailure ? state.transientFailures : 0

        switch (current.phase, outcome) {
        case (.accepted, .feePredicted(let payerAmount)):
            return reserve(payerAmount, state: state)

        case (.accepted, .feePredictionFailed(let error)):
            if error.isTransient, state.transientFailures < policy.maximumPredictionRetries {
                return retryLater(state, error)
            }
            return apply(.feePredicted(payerAmount: nil), to: state, now: now)

        case (.accepted, .holdRefusedInsufficient(let available)):
            let needed = Money(minorUnits: state.holdMinor ?? state.command.amountMinor, currency: state.currency)
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

        case (.accepted, .holdRefusedWalletUnknown):
            return walletWithoutBalance(state: state)

        case (.reserved, .accountCreated(let id)):
            state.payoutAccountID = id
            state.command.recipient?.phone = nil  // the account holds it now; we need not
            state.phase = .accountReady
            return Decision(state: state, emitsEvent: false, ledger: .none, schedule: .now)

        case (.reserved, .sessionCreated(let id, let walletID)), (.accountReady, .sessionCreated(let id, let walletID)):
            state.sessionID = id
            state.walletID = walletID
            state.phase = .sessionReady
            return Decision(state: state, emitsEvent: false, ledger: .none, schedule: .now)

        case (.sessionReady, .markedExecuting):
            state.phase = .executing
            state.executeAttempts += 1
            state.executeSentAt = now
            return Decision(
                state: state,
                emitsEvent: false,
                ledger: .none,
                schedule: .now,
                followUp: .execute(executeRequest(for: state))
            )

        case (.executing, .executed(let execution)), (.executing, .polled(let execution)),
            (.polling, .polled(let execution)):
            return observe(execution, in: state, now: now, countsAsPoll: outcome.isPoll)

        case (.reserved, .failed(let error)), (.accountReady, .failed(let error)):
            return beforeExecute(error, state: state)

        case (.executing, .executeFailed(let error)):
            return executeFailed(error, state: state, now: now)

        case (.executing, .failed(let error)), (.polling, .failed(let error)):
            return pollFailed(error, state: state, now: now)

        case (.underReview, .polled(let execution)):
            return recheck(execution, in: state, now: now)

        case (.underReview, .failed):
            // A 404 or an outage says nothing new about a payout whose outcome is unknown.
            return recheckLater(state, now: now)

        case (.underReview, .resolvedByOperator(let status, let answer)):
            return resolve(state, as: status, dollrAnswer: answer)

        default:
            // An outcome that does not belong to the phase (a stale result after a lost lease, a
            // programming error): change nothing; a finished payout stays finished.
            if current.phase == .finished {
                return Decision(state: current, emitsEvent: false, ledger: .none, schedule: .done)
            }
            return Decision(
                state: current,
                emitsEvent: false,
                ledger: .none,
                schedule: .after(milliseconds: policy.retryBaseDelayMilliseconds)
            )
        }
    }

    // MARK: - Outcomes by step

    private func reserve(_ payerAmount: Money?, state current: PayoutState) -> Decision {
        var state = current
        let amount = state.command.amountMinor
        let hold: Int64
        if let payerAmount, payerAmount.currency == state.currency, payerAmount.minorUnits >= amount {
            hold = payerAmount.minorUnits
        } else {
            hold = amount + fallbackFee(for: amount, in: state.currency)
        }
        state.holdMinor = hold
        state.feeMinor = hold - amount
        state.phase = .reserved
        return Decision(
            state: state,
            emitsEvent: false,
            ledger: .hold(currency: state.command.currency, amountMinor: hold),
            schedule: .now
        )
    }

    private func walletWithoutBalance(state current: PayoutState) -> Decision {
        var state = current
        switch policy.walletWithoutBalance {
        case .fail:
            return finish(
                state,
                .failed,
                PayoutReason(.walletBalanceUnknown, "no balance is declared for the \(state.command.currency) wallet"),
                ledger: .none
            )
        case .executeUnchecked:
            state.holdMinor = nil
            state.phase = .reserved
            return Decision(state: state, emitsEvent: false, ledger: .none, schedule: .now)
        }
    }

    private func observe(
        _ execution: PayoutExecution,
        in current: PayoutState,
        now: Int64,
        countsAsPoll: Bool
    ) -> Decision {
        var state = current
        state.phase = .polling
        state.pollingSince = state.pollingSince ?? now
        if countsAsPoll { state.polls += 1 }
        state.providerStatus = execution.status.rawValue
        state.pendingFailure = nil  // Dollr knows the payout after all: its word decides
        state.providerTransactionID = execution.providerTransactionID ?? state.providerTransactionID

        switch execution.status {
        case .completed:
            // Post what Dollr debited when it reports it in the wallet's currency; the hold is the
            // best estimate otherwise.
            let debited =
                execution.payerAmount.currency == state.currency
                ? execution.payerAmount.minorUnits : (state.holdMinor ?? state.command.amountMinor)
            state.debitedMinor = debited
            return finish(state, .completed, nil, ledger: state.holdMinor == nil ? .none : .post(debitedMinor: debited))
        case .failed:
            let detail = execution.walletMessage ?? execution.gatewayMessage ?? "Dollr reports the payout FAILED"
            return finish(
                state,
                .failed,
                PayoutReason(.providerFailed, detail),
                ledger: state.holdMinor == nil ? .none : .void
            )
        default:
            if now - state.pollingSince! >= policy.pollBudgetMilliseconds {
                return requiresReview(state, "still \(execution.status) at Dollr after the polling budget", now: now)
            }
            let published: PayoutStatus = execution.status == .pending ? .pending : .processing
            let changed = published != state.status
            state.status = published
            return Decision(
                state: state,
                emitsEvent: changed,
                ledger: .none,
                schedule: .after(milliseconds: pollDelay(afterPolls: state.polls))
            )
        }
    }

    private func beforeExecute(_ error: DollrError, state current: PayoutState) -> Decision {
        switch error {
        case .validation(let issues):
            return failBeforeLanding(
                current,
                PayoutReason(
                    .providerRejected,
                    "Dollr refused the request: \(issues.map(\.description).joined(separator: "; "))"
                )
            )
        case .notFound:
            return failBeforeLanding(
                current,
                PayoutReason(
                    .providerRejected,
                    "Dollr does not know payout account \(current.payoutAccountID.map(String.init) ?? "?")"
                )
            )
        case .forbidden(let detail):
            return failBeforeLanding(
                current,
                PayoutReason(.merchantNotVerified, "Dollr refused the merchant (403): \(detail)"),
                alert: .merchantNotVerified
            )
        case .passcodeRejected:
            return failBeforeLanding(
                current,
                PayoutReason(.passcodeRejected, "Dollr refused the merchant passcode"),
                alert: .passcodeRejected
            )
        default:
            return retryLater(current, error)
        }
    }

    private func executeFailed(_ error: DollrError, state current: PayoutState, now: Int64) -> Decision {
        var state = current
        switch error {
        case .duplicateReference, .outcomeUnknown, .invalidResponse, .unexpectedStatus, .server:
            // Dollr may have (or certainly has) the execution: find out by polling, never by executing.
            state.phase = .polling
            state.pollingSince = state.pollingSince ?? now
            return Decision(
                state: state,
                emitsEvent: false,
                ledger: .none,
                schedule: .after(milliseconds: error == .duplicateReference ? 0 : policy.pollInitialDelayMilliseconds)
            )
        case .sessionExpired, .notFound:
            guard state.executeAttempts < policy.maximumExecuteAttempts else {
                return failBeforeLanding(
                    state,
                    PayoutReason(
                        .providerRejected,
                        "no session could be executed after \(state.executeAttempts) attempts"
                    )
                )
            }
            state.sessionID = nil
            state.phase = .accountReady
            return Decision(state: state, emitsEvent: false, ledger: .none, schedule: .now)
        case .passcodeRejected:
            return failBeforeLanding(
                state,
                PayoutReason(.passcodeRejected, "Dollr refused the merchant passcode"),
                alert: .passcodeRejected
            )
        case .forbidden(let detail):
            return failBeforeLanding(
                state,
                PayoutReason(.merchantNotVerified, "Dollr refused the merchant (403): \(detail)"),
                alert: .merchantNotVerified
            )
        case .validation(let issues):
            return failBeforeLanding(
                state,
                PayoutReason(
                    .providerRejected,
                    "Dollr refused the execution: \(issues.map(\.description).joined(separator: "; "))"
                )
            )
        case .rateLimited, .connectionFailed, .cancelled, .unauthorized:
            // Not processed by Dollr: the same session may be executed again later.
            state.phase = .sessionReady
            return retryLater(state, error)
        }
    }

    private func pollFailed(_ error: DollrError, state current: PayoutState, now: Int64) -> Decision {
        var state = current
        if error == .notFound, let pending = state.pendingFailure {
            // Asked once more before letting the hold go: neither execute landed.
            return finish(state, .failed, pending, ledger: state.holdMinor == nil ? .none : .void)
        }
        if error == .notFound, state.providerStatus != nil {
            // Dollr has reported this reference_id before: its 404 now contradicts that, and is no
            // proof the payout never landed. Keep polling; the budget ends it in REQUIRES_REVIEW.
            state.pollingSince = state.pollingSince ?? now
            if now - state.pollingSince! >= policy.pollBudgetMilliseconds {
                return requiresReview(
                    state,
                    "Dollr reported \(state.providerStatus!) for this payout, then no longer knew it",
                    now: now
                )
            }
            return retryLater(state, error)
        }
        if error == .notFound, let sentAt = state.executeSentAt, now - sentAt < policy.notFoundGraceMilliseconds {
            // Too early to conclude: an execute that timed out here may still be reaching Dollr.
            return retryLater(state, error)
        }
        if error == .notFound {
            // Dollr does not know the reference_id: the execute never landed. Execute again with the
            // same reference_id from a fresh session; if it did land meanwhile, Dollr answers 422
            // duplicate and we are back to polling.
            guard state.executeAttempts < policy.maximumExecuteAttempts else {
                return requiresReview(
                    state,
                    "Dollr does not know the reference_id after \(state.executeAttempts) executes",
                    now: now
                )
            }
            state.executePresumedLost = true
            state.sessionID = nil
            state.phase = state.payoutAccountID == nil ? .reserved : .accountReady
            return Decision(state: state, emitsEvent: false, ledger: .none, schedule: .now)
        }
        state.pollingSince = state.pollingSince ?? now
        if now - state.pollingSince! >= policy.pollBudgetMilliseconds {
            return requiresReview(state, "outcome unknown after the polling budget: \(error)", now: now)
        }
        return retryLater(state, error)
    }

    // MARK: - Helpers

    private func finish(
        _ current: PayoutState,
        _ status: PayoutStatus,
        _ reason: PayoutReason?,
        ledger: LedgerOperation
    ) -> Decision {
        var state = current
        state.phase = .finished
        state.status = status
        state.reason = reason
        return Decision(state: state, emitsEvent: true, ledger: ledger, schedule: .done)
    }

    private func requiresReview(_ current: PayoutState, _ message: String, now: Int64) -> Decision {
        // The hold stays: money may have left the wallet. Dollr is asked again on a slow schedule,
        // and an operator can resolve the payout meanwhile.
        var state = current
        state.phase = .underReview
        state.status = .requiresReview
        state.reason = PayoutReason(.outcomeUnknown, message)
        state.reviewSince = now
        let schedule: Schedule =
            policy.reviewRecheckBudgetMilliseconds > 0
            ? .after(milliseconds: policy.reviewRecheckIntervalMilliseconds) : .parked
        return Decision(state: state, emitsEvent: true, ledger: .none, schedule: schedule)
    }

    /// Dollr's answer on a recheck of a payout under review: a definitive one settles it.
    private func recheck(_ execution: PayoutExecution, in current: PayoutState, now: Int64) -> Decision {
        var state = current
        state.providerStatus = execution.status.rawValue
        state.providerTransactionID = execution.providerTransactionID ?? state.providerTransactionID
        switch execution.status {
        case .completed:
            let debited =
                execution.payerAmount.currency == state.currency
                ? execution.payerAmount.minorUnits : (state.holdMinor ?? state.command.amountMinor)
            state.debitedMinor = debited
            return finish(
                state,
                .completed,
                PayoutReason(.reconciled, "Dollr reported COMPLETED when asked again under review"),
                ledger: state.holdMinor == nil ? .none : .post(debitedMinor: debited)
            )
        case .failed:
            let detail = execution.walletMessage ?? execution.gatewayMessage ?? "no detail"
            return finish(
                state,
                .failed,
                PayoutReason(.reconciled, "Dollr reported FAILED when asked again under review: \(detail)"),
                ledger: state.holdMinor == nil ? .none : .void
            )
        default:
            return recheckLater(state, now: now)
        }
    }

    private func recheckLater(_ current: PayoutState, now: Int64) -> Decision {
        var state = current
        state.transientFailures = 0
        let since = state.reviewSince ?? now
        if now - since >= policy.reviewRecheckBudgetMilliseconds {
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
        _ current: PayoutState,
        as status: PayoutStatus,
        dollrAnswer answer: PayoutExecution?
    ) -> Decision {
        var state = current
        state.providerStatus = answer?.status.rawValue ?? state.providerStatus
        state.providerTransactionID = answer?.providerTransactionID ?? state.providerTransactionID
        let reason = PayoutReason(.operatorResolved, "resolved as \(status.rawValue) by an operator; see the audit log")
        if status == .completed {
            let reported = answer.flatMap {
                $0.status == .completed && $0.payerAmount.currency == state.currency ? $0.payerAmount.minorUnits : nil
            }
            let debited = reported ?? state.holdMinor ?? state.command.amountMinor
            state.debitedMinor = debited
            return finish(
                state,
                .completed,
                reason,
                ledger: state.holdMinor == nil ? .none : .post(debitedMinor: debited)
            )
        }
        return finish(state, .failed, reason, ledger: state.holdMinor == nil ? .none : .void)
    }

    /// A refusal that ends the payout before it reached Dollr, so the hold is voided. But if an
    /// earlier execute of this reference_id was only presumed lost (Dollr answered 404 for it),
    /// Dollr is asked once more first: FAILED must never stand for a payout that was paid.
    private func failBeforeLanding(
        _ current: PayoutState,
        _ reason: PayoutReason,
        alert: EngineAlert? = nil
    ) -> Decision {
        var decision: Decision
        if current.executePresumedLost == true, current.pendingFailure == nil {
            var state = current
            state.pendingFailure = reason
            state.sessionID = nil
            state.phase = .polling
            decision = Decision(state: state, emitsEvent: false, ledger: .none, schedule: .now)
        } else {
            decision = finish(current, .failed, reason, ledger: current.holdMinor == nil ? .none : .void)
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
        default:
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
        default: false
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
        default: false
        }
    }
}
