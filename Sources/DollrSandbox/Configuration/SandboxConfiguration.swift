public import DollrClient

/// Everything that defines a sandbox run.
///
/// From the command line it comes from, in rising precedence: these defaults, the `--config FILE` JSON, and the
/// merchant environment variables (`DOLLR_CLIENT_ID`, `DOLLR_CLIENT_SECRET` or `DOLLR_CLIENT_SECRET_FILE`,
/// `MERCHANT_PASSCODE` or `MERCHANT_PASSCODE_FILE`, `MERCHANT_PASSCODE_PHONE`), read by
/// ``MerchantCredentials/fromEnvironment(_:defaults:)`` exactly as the worker reads them, so that the environment the
/// worker runs in always makes both sides agree.
///
/// The JSON file has these optional members (unknown members are an error):
/// ```json
/// {
///   "client_id": "sandbox-client", "client_secret": "sandbox-secret",
///   "passcode": "123456", "passcode_phone": "231770000001", "passcode_user_id": "sandbox-user",
///   "merchant_verified": true,
///   "token_lifetime_minutes": 60, "session_lifetime_ms": 900000,
///   "wallets": {"USD": "1000000.00", "LRD": "100000000.00"},
///   "fees": {"basis_points": 100, "minimums": {"USD": "0.10", "LRD": "10.00"}},
///   "faults": {"latency_ms": 0, "pending_ms": 500, "processing_ms": 2000, "p_429": 0, "p_5xx": 0,
///              "p_5xx_after_accept": 0, "p_hang": 0, "p_lost_response": 0, "p_provider_failed": 0,
///              "hang_ms": 60000, "retry_after_s": 1, "next_429": 0,
///              "next_401": 0},
///   "seed": 42
/// }
/// ```
public struct SandboxConfiguration: Sendable {
    /// Defaults to ``MerchantCredentials/sandboxDefaults``.
    public var merchant: MerchantCredentials
    /// Accepted in the passcode object's `token.user_id` instead of a phone.
    public var passcodeUserID: String
    /// `false` makes every authenticated call answer 403, as Dollr does for a merchant not fully verified.
    public var merchantVerified: Bool
    /// The `expires_in` of issued tokens, in minutes as Dollr sends it.
    public var tokenLifetimeMinutes: Int
    /// How long a payout session can be executed.
    public var sessionLifetime: Duration
    /// Opening balance of each merchant wallet.
    public var wallets: [Money]
    public var fees: FeeSchedule
    public var faults: FaultSettings
    /// Seed of the fault generator; random when `nil` (the chosen seed is logged).
    public var seed: UInt64?

    public init(
        merchant: MerchantCredentials = .sandboxDefaults,
        passcodeUserID: String = "sandbox-user",
        merchantVerified: Bool = true,
        tokenLifetimeMinutes: Int = 60,
        sessionLifetime: Duration = .seconds(900),
        wallets: [Money] = SandboxConfiguration.defaultWallets,
        fees: FeeSchedule = FeeSchedule(),
        faults: FaultSettings = FaultSettings(),
        seed: UInt64? = nil
    ) {
        self.merchant = merchant
        self.passcodeUserID = passcodeUserID
        self.merchantVerified = merchantVerified
        self.tokenLifetimeMinutes = tokenLifetimeMinutes
        self.sessionLifetime = sessionLifetime
        self.wallets = wallets
        self.fees = fees
        self.faults = faults
        self.seed = seed
    }

    /// USD 1,000,000.00 and LRD 100,000,000.00: enough for any demo.
    public static let defaultWallets = [
        Money(minorUnits: 100_000_000, currency: .usd),
        Money(minorUnits: 10_000_000_000, currency: .lrd),
    ]
}
