import DollrClient

// What an outcome means in each phase: one function per phase, each switching over every outcome.
extension PayoutStateMachine {
    func apply(
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

    func apply(
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

    func apply(
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

    func apply(
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

    func apply(
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

    func apply(
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

    func apply(
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
    func unexpected(_ current: PayoutState) -> Decision {
        Decision(
            state: current,
            emitsEvent: false,
            ledger: .none,
            schedule: .after(milliseconds: policy.retryBaseDelayMilliseconds)
        )
    }
}
