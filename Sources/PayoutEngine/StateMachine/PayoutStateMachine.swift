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

    func createSession(_ payoutAccountID: Int, _ state: PayoutState) -> EngineAction {
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
}
