public import DollrClient
public import Logging
import Synchronization

/// The sandbox's state and the controls that tests, chaos runs and the admin API use on it.
public final class Sandbox: Sendable {
    public let configuration: SandboxConfiguration
    /// The seed the fault generator started from; rerun with it to reproduce the same faults.
    public let seed: UInt64
    let clock = SandboxClock()
    let ledger: SandboxLedger
    let tokens = TokenStore()
    let faults: FaultInjector
    let pauseGate = PauseGate()
    let logger: Logger
    private let requestCounters = Mutex(SandboxCounters())
    private let verified: Mutex<Bool>

    public init(configuration: SandboxConfiguration, logger: Logger) {
        self.configuration = configuration
        self.seed = configuration.seed ?? UInt64.random(in: .min ... .max)
        self.ledger = SandboxLedger(wallets: configuration.wallets, fees: configuration.fees)
        self.faults = FaultInjector(settings: configuration.faults, seed: self.seed)
        self.verified = Mutex(configuration.merchantVerified)
        self.logger = logger
    }

    // MARK: Controls

    /// The current fault settings.
    public var faultSettings: FaultSettings { self.faults.settings }

    /// Changes fault settings at run time.
    public func updateFaults(_ change: @Sendable (inout FaultSettings) -> Void) {
        _ = self.faults.update { settings in
            change(&settings)
            return []
        }
    }

    /// Stops answering Dollr API calls (admin calls still work) until ``resume()``: requests are
    /// held open, then processed in full.
    public func pause() {
        self.pauseGate.pause()
        self.logger.info("sandbox paused")
    }

    public func resume() {
        self.pauseGate.resume()
        self.logger.info("sandbox resumed")
    }

    public var isPaused: Bool { self.pauseGate.isPaused }

    /// Sets a wallet's balance, creating the wallet if the merchant had none in that currency.
    @discardableResult
    public func setWalletBalance(_ balance: Money) -> SandboxWallet {
        self.ledger.setWallet(balance)
    }

    /// Every wallet and every reference executed, settled as of now.
    public func ledgerSnapshot() -> SandboxLedgerSnapshot {
        self.ledger.snapshot(now: self.clock.now())
    }

    public var counters: SandboxCounters {
        var counters = self.requestCounters.withLock { $0 }
        counters.tokensIssued = self.tokens.issuedCount
        (counters.executionsAccepted, counters.duplicateExecutes) = self.ledger.executionCounters
        return counters
    }

    /// Invalidates every issued token, so the next calls get 401; returns how many were still valid.
    @discardableResult
    public func expireAllTokens() -> Int {
        self.tokens.expireAll(now: self.clock.now())
    }

    public var merchantVerified: Bool {
        get { self.verified.withLock { $0 } }
        set { self.verified.withLock { $0 = newValue } }
    }

    /// Moves the sandbox's clock forward: tokens and sessions expire, executions progress and settle.
    public func advanceClock(by duration: Duration) {
        self.clock.advance(by: duration)
    }

    /// Tokens currently held, for tests that prove no token reached a log.
    package var issuedTokens: [String] { self.tokens.tokens }

    func count(_ update: (inout SandboxCounters) -> Void) {
        self.requestCounters.withLock { update(&$0) }
    }
}
