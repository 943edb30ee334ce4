/// The recovery point of a payout: where work resumes after a crash. Every foreign call starts
/// from one phase and its result is committed as the next, together with events and ledger
/// changes (Stripe's "atomic phases").
public enum PayoutPhase: String, Sendable, Hashable, Codable, CaseIterable {
    /// Recorded; next: price the fee and place the wallet hold.
    case accepted
    /// Hold placed; next: register the recipient (or go straight to the session).
    case reserved
    /// Recipient's payout account known; next: create a session.
    case accountReady
    /// Session created; next: mark executing, then execute.
    case sessionReady
    /// Execute may have been sent. Recovering here never executes again blindly: it polls first.
    case executing
    /// Dollr knows the execution; next: poll its status until final.
    case polling
    /// REQUIRES_REVIEW published, hold kept; next: ask Dollr again on a slow schedule until it
    /// answers for good, the recheck budget ends, or an operator resolves it.
    case underReview
    /// Terminal status published; nothing left to do.
    case finished
}
