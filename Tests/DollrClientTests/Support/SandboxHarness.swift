import DollrSandbox
import Foundation
import Logging

@testable import DollrClient

/// Starts a sandbox on 127.0.0.1:0 and a real client pointed at it, runs the test body, and always tears both down.
enum SandboxHarness {
    /// A sandbox whose executions stay PENDING 1 s and PROCESSING 60 s of sandbox time: tests move them along with
    /// `advanceClock` instead of waiting.
    static func configuration(_ adjust: (inout SandboxConfiguration) -> Void = { _ in }) -> SandboxConfiguration {
        var configuration = SandboxConfiguration(seed: 42)
        configuration.faults.pendingMs = 1000
        configuration.faults.processingMs = 60_000
        adjust(&configuration)
        return configuration
    }

    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// For faults that make execute outlive a 2 s timeout: `client` has that timeout, while
    /// `checker` (default 30 s, far above what an ordinary call takes even on a loaded machine)
    /// made the account and session and serves the calls around the faulty one. The fault lasts
    /// 5 s. A shorter timeout lets a client on a loaded machine give up before its request is
    /// even written, so that the sandbox never sees the call the test is about.
    static func runShortTimedExecute(
        _ body: (SandboxServer, DollrClient, DollrClient, PaymentAccount, PayoutSession) async throws -> Void
    ) async throws {
        let configuration = SandboxHarness.configuration { $0.faults.hangMs = 5000 }
        try await run(sandbox: configuration, client: { $0.requestTimeout = .seconds(2) }) { server, client in
            try await withShutdown(defaultClient(for: server, configuration)) { checker in
                let account = try await checker.makeAccount()
                let session = try await checker.createPayoutSession(
                    CreatePayoutSessionRequest(payoutAccountID: account.id, amount: .usd("1.00"))
                )
                // Warm the short-timed client (token, connection) so that its 2 s cover only the
                // faulty call: on a loaded machine a cold call can spend them before sending anything.
                for _ in 0..<20 {
                    do throws(DollrError) {
                        _ = try await client.payoutStatus(referenceID: UUID())
                    } catch {
                        if error == .notFound { break }
                    }
                }
                try await body(server, client, checker, account, session)
            }
        }
    }

    /// Runs `body` with `client` and shuts the client down however `body` ends, so a failing
    /// expectation is reported as such instead of as AsyncHTTPClient's deinit assertion.
    static func withShutdown<T>(_ client: DollrClient, _ body: (DollrClient) async throws -> T) async throws -> T {
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// A second client on the default 30 s timeout, for calls around a deliberately short-timed one.
    static func defaultClient(for server: SandboxServer, _ configuration: SandboxConfiguration) -> DollrClient {
        DollrClient(
            configuration: DollrConfiguration(baseURL: server.baseURL, credentials: configuration.merchant),
            logger: quiet
        )
    }

    static func run(
        sandbox configuration: SandboxConfiguration = SandboxHarness.configuration(),
        client adjust: (inout DollrConfiguration) -> Void = { _ in },
        clock: ManualClock? = nil,
        clientLogger: Logger = SandboxHarness.quiet,
        sandboxLogger: Logger = SandboxHarness.quiet,
        _ body: (SandboxServer, DollrClient) async throws -> Void
    ) async throws {
        let server = try await SandboxServer.start(configuration: configuration, logger: sandboxLogger)
        var clientConfiguration = DollrConfiguration(baseURL: server.baseURL, credentials: configuration.merchant)
        adjust(&clientConfiguration)
        let now: @Sendable () -> ContinuousClock.Instant
        if let clock {
            now = { clock.now() }
        } else {
            now = { .now }
        }
        let client = DollrClient(configuration: clientConfiguration, httpClient: nil, logger: clientLogger, now: now)
        do {
            try await body(server, client)
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        try await client.shutdown()
        await server.stop()
    }
}

/// Fixtures for the payout flow.
extension DollrClient {
    static let recipientPhone = try! PhoneNumber("231770001234")

    func makeAccount(phone: PhoneNumber = DollrClient.recipientPhone) async throws(DollrError) -> PaymentAccount {
        try await self.createPaymentAccount(
            CreatePaymentAccountRequest(
                accountName: "Jane Doe",
                provider: .orangeMoneyLiberia,
                method: .orangeMoneyLiberia,
                partyID: 7,
                countryCode: "LR",
                accountNumber: phone
            )
        )
    }

    /// Account, session and execute for `amount`; returns the session and the execution as accepted.
    func pay(_ amount: Money, referenceID: UUID = UUID()) async throws(DollrError) -> (PayoutSession, PayoutExecution) {
        let account = try await self.makeAccount()
        let session = try await self.createPayoutSession(
            CreatePayoutSessionRequest(payoutAccountID: account.id, amount: amount)
        )
        let execution = try await self.executePayout(
            ExecutePayoutRequest(sessionID: session.id, payoutAccountID: account.id, referenceID: referenceID)
        )
        return (session, execution)
    }
}

extension Money {
    static func usd(_ text: String) -> Money { try! Money(parsing: text, currency: .usd) }
}
