import DollrClient
import DollrSandbox
import Foundation
import Logging
import PayoutEngine
import Synchronization
import TestSupport

/// A real sandbox on loopback, a real client, a fresh store of one kind, and engines on them.
/// Timings are shrunk (polls every few ms, executions settle in tens of ms) so flows finish fast
/// in real time; nothing waits on a fixed sleep.
struct EngineHarness: Sendable {
    let server: SandboxServer
    let client: DollrClient
    let fixture: StoreFixture
    /// The client's request timeout, which the engine must know to keep calls inside leases.
    let callTimeoutMilliseconds: Int64
    var store: any PayoutStore { fixture.store }

    static func sandboxConfiguration(_ adjust: (inout SandboxConfiguration) -> Void = { _ in }) -> SandboxConfiguration
    {
        var configuration = SandboxConfiguration(seed: 7)
        configuration.faults.pendingMs = 10
        configuration.faults.processingMs = 40
        adjust(&configuration)
        return configuration
    }

    static func policy() -> EnginePolicy {
        var policy = EnginePolicy()
        policy.pollInitialDelayMilliseconds = 15
        policy.pollMaximumDelayMilliseconds = 100
        policy.retryBaseDelayMilliseconds = 15
        policy.retryMaximumDelayMilliseconds = 100
        policy.notFoundGraceMilliseconds = 300
        return policy
    }

    /// An engine; `clockOffset` shifts its clock, e.g. past the leases a crashed engine left.
    func engine(
        owner: String = "engine-\(UUID().uuidString.prefix(8))",
        client: DollrClient? = nil,
        clockOffset: Int64 = 0,
        clock: StoreClock? = nil,
        leaseMilliseconds: Int64 = 10_000,
        policy: EnginePolicy = EngineHarness.policy(),
        observer: (any EngineObserver)? = nil,
        callTimeoutMilliseconds: Int64? = nil,
        probeInterval: Duration? = nil,
        crashHook: PayoutEngine.CrashHook? = nil
    ) -> PayoutEngine {
        var configuration = EngineConfiguration(owner: owner)
        configuration.policy = policy
        configuration.idleCheck = .milliseconds(10)
        configuration.providerProbeInterval = probeInterval
        configuration.leaseMilliseconds = leaseMilliseconds
        configuration.providerCallTimeoutMilliseconds = callTimeoutMilliseconds ?? self.callTimeoutMilliseconds
        let clock = clock ?? StoreClock { StoreClock.system.now() + clockOffset }
        return PayoutEngine(
            store: store,
            dollr: client ?? self.client,
            configuration: configuration,
            logger: quietLogger,
            clock: clock,
            observer: observer,
            crashHook: crashHook
        )
    }

    /// Runs `engine` until every listed payout is final (or the deadline passes), then stops it.
    func runUntilFinal(_ engine: PayoutEngine, _ references: [UUID], within limit: Duration = .seconds(60)) async throws
    {
        let running = Task { await engine.run() }
        defer { running.cancel() }
        let keys = references.map { $0.uuidString.lowercased() }
        let store = self.store
        try await eventually("\(keys.count) payout(s) final", within: limit) {
            for key in keys {
                guard let payout = try? await store.payout(referenceID: key), payout.isFinal else { return false }
            }
            return true
        }
        engine.stop()
        await running.value
    }

    func statuses(_ reference: UUID) async throws -> [String] {
        try await store.events(referenceID: reference.uuidString.lowercased()).map(\.status.rawValue)
    }

    /// A test's own set-up call to Dollr, asked again while it fails for want of time: with the
    /// whole suite starting at once, a call can spend its request timeout before it is even sent.
    /// Refusals are not retried.
    func setUp<T: Sendable>(_ call: @Sendable () async throws(DollrError) -> T) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do throws(DollrError) {
                return try await call()
            } catch {
                let forWantOfTime: Bool
                switch error {
                case .outcomeUnknown, .cancelled, .connectionFailed, .server, .rateLimited: forWantOfTime = true
                default: forWantOfTime = false
                }
                guard forWantOfTime, ContinuousClock.now < deadline else { throw error }
            }
        }
    }

    func sandboxExecution(_ reference: UUID) -> SandboxExecution? {
        server.sandbox.ledgerSnapshot().execution(reference.uuidString.lowercased())
    }

    static func run(
        _ kind: StoreKind,
        sandbox adjust: (inout SandboxConfiguration) -> Void = { _ in },
        client adjustClient: (inout DollrConfiguration) -> Void = { _ in },
        _ body: (EngineHarness) async throws -> Void
    ) async throws {
        let configuration = sandboxConfiguration(adjust)
        let server = try await SandboxServer.start(configuration: configuration, logger: quietLogger)
        var clientConfiguration = DollrConfiguration(baseURL: server.baseURL, credentials: configuration.merchant)
        clientConfiguration.requestTimeout = .seconds(3)
        adjustClient(&clientConfiguration)
        let client = DollrClient(configuration: clientConfiguration, logger: quietLogger)
        do {
            try await withStore(kind) { fixture in
                let timeout = clientConfiguration.requestTimeout.components
                try await body(
                    EngineHarness(
                        server: server,
                        client: client,
                        fixture: fixture,
                        callTimeoutMilliseconds: timeout.seconds * 1000 + timeout.attoseconds / 1_000_000_000_000_000
                    )
                )
            }
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        try? await client.shutdown()
        await server.stop()
    }
}

/// Payout command records as upstream would publish them.
enum Commands {
    static func record(
        _ reference: UUID = UUID(),
        amount: String = "10.00",
        currency: String = "USD",
        account: Int? = nil,
        phone: String = "231771234567",
        name: String = "Ada Lovelace"
    ) -> IntakeRecord {
        let recipient =
            account.map { "\"payout_account_id\":\($0)" }
            ?? #""recipient":{"account_name":"\#(name)","party_id":42,"phone":"\#(phone)","provider":"MTN_MOMO_LBR","method":"MTN_MOMO_LBR","country_code":"LR"}"#
        let json =
            #"{"reference_id":"\#(reference.uuidString.lowercased())","amount":"\#(amount)","currency":"\#(currency)",\#(recipient)}"#
        return IntakeRecord(key: Array(reference.uuidString.lowercased().utf8), value: Array(json.utf8))
    }
}

extension IntakeResult {
    var isAccepted: Bool { if case .accepted = self { true } else { false } }
}
