/// Why a payout failed or was rejected: a stable code to switch on and a message for people.
public struct PayoutReason: Sendable, Hashable, Codable {
    public var code: Code
    /// Human-readable detail. Never contains a secret or a phone number.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// The command is malformed (REJECTED), or Dollr refused its content.
        case validationError = "VALIDATION_ERROR"
        /// The wallet's available balance (balance minus holds) does not cover amount + fee.
        case insufficientFunds = "INSUFFICIENT_FUNDS"
        /// No balance is declared for the wallet of this currency.
        case walletBalanceUnknown = "WALLET_BALANCE_UNKNOWN"
        /// Dollr answered 403: the merchant is not verified, or credentials are mixed.
        case merchantNotVerified = "MERCHANT_NOT_VERIFIED"
        /// Dollr refused the merchant passcode.
        case passcodeRejected = "PASSCODE_REJECTED"
        /// Dollr refused the recipient, session or execution request (422).
        case providerRejected = "PROVIDER_REJECTED"
        /// Dollr executed the payout and reports it FAILED.
        case providerFailed = "PROVIDER_FAILED"
        /// On REQUIRES_REVIEW: Dollr's outcome stayed unknown (or contradictory) past the polling
        /// budget. The hold is kept until an operator reconciles.
        case outcomeUnknown = "OUTCOME_UNKNOWN"
        /// Same reference_id, different content: the original payout is untouched.
        case idempotencyConflict = "IDEMPOTENCY_CONFLICT"
        /// On the terminal event after REQUIRES_REVIEW: a recheck found Dollr's definitive answer.
        case reconciled = "RECONCILED"
        /// On the terminal event after REQUIRES_REVIEW: an operator resolved it (see the audit log).
        case operatorResolved = "OPERATOR_RESOLVED"
    }
}
