/// Checks both stores apply identically, before or while writing. A violation is a bug in the
/// caller (the engine) or a contradiction with what is stored, never a transient condition, so the
/// errors are not retriable and the transaction writes nothing.
enum TransitionRules {
    /// The ACCEPTED event of a new payout is sequence 1; a rejection event is sequence 0.
    static func checkIntake(_ items: [IntakeItem]) throws(StoreError) {
        for item in items {
            switch item {
            case .command(let payout):
                guard payout.acceptedEventSequence == 1 else {
                    throw StoreError(
                        .other,
                        "accepted event of \(payout.referenceID) must have sequence 1, got \(payout.acceptedEventSequence)"
                    )
                }
                guard payout.amountMinor > 0 else {
                    throw StoreError(
                        .other,
                        "payout \(payout.referenceID) must have a positive amount, got \(payout.amountMinor) (reject it at intake instead)"
                    )
                }
            case .rejection(let referenceID, let event, _):
                guard event.sequence == 0 else {
                    throw StoreError(
                        .other,
                        "rejection event of \(referenceID) must have sequence 0, got \(event.sequence)"
                    )
                }
            }
        }
    }

    /// Events continue the stored sequence without gaps or repeats: `stored + 1, stored + 2, …`.
    /// A repeat would be a second, different event under an id consumers already saw.
    static func checkEvents(_ transition: PayoutTransition, storedSequence: Int) throws(StoreError) {
        for (offset, event) in transition.events.enumerated() where event.sequence != storedSequence + 1 + offset {
            throw StoreError(
                .conflict,
                "events of \(transition.referenceID) must continue from stored sequence \(storedSequence): expected \(storedSequence + 1 + offset), got \(event.sequence)"
            )
        }
    }

    static func checkLedger(_ transition: PayoutTransition) throws(StoreError) {
        switch transition.ledger {
        case .hold(_, let amount) where amount <= 0:
            throw StoreError(.other, "hold for \(transition.referenceID) must be positive, got \(amount)")
        case .post(let debited) where debited < 0:
            throw StoreError(.other, "posted debit for \(transition.referenceID) must not be negative, got \(debited)")
        default:
            break
        }
    }

    static func checkLease(_ milliseconds: Int64, _ what: String) throws(StoreError) {
        guard milliseconds > 0 else {
            throw StoreError(.other, "\(what) lease must be positive, got \(milliseconds) ms")
        }
    }

    /// `now + milliseconds`, saturating instead of trapping on absurd inputs.
    static func deadline(_ now: Int64, plus milliseconds: Int64) -> Int64 {
        let (sum, overflow) = now.addingReportingOverflow(milliseconds)
        return overflow ? .max : sum
    }

    static func alreadyHeld(_ referenceID: String, state: String) -> StoreError {
        StoreError(.conflict, "payout \(referenceID) already has a hold (\(state)); a payout reserves funds once")
    }

    static func noPendingHold(_ referenceID: String, operation: String, state: String?) -> StoreError {
        StoreError(
            .conflict,
            "cannot \(operation) the hold of \(referenceID): \(state.map { "it is \($0)" } ?? "there is none")"
        )
    }
}
