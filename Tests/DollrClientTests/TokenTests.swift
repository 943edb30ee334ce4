import DollrClient
import DollrSandbox
import Foundation
import Testing

@Suite("One shared token, refreshed in time or once after a 401")
struct TokenTests {
    private static let query = AmountAndFeesQuery(
        baseAmount: .usd("10.00"),
        targetCurrency: .usd,
        paymentMethod: .orangeMoneyLiberia,
        provider: .orangeMoneyLiberia
    )

    @Test func tokenIsReusedUntilFiveMinutesRemain() async throws {
        let clock = ManualClock()
        try await SandboxHarness.run(clock: clock) { server, client in
            _ = try await client.predictAmountAndFees(Self.query)
            clock.advance(by: .seconds(54 * 60))
            _ = try await client.predictAmountAndFees(Self.query)
            #expect(server.sandbox.counters.tokensIssued == 1)
            clock.advance(by: .seconds(2 * 60))
            _ = try await client.predictAmountAndFees(Self.query)
            #expect(server.sandbox.counters.tokensIssued == 2)
            #expect(client.statistics.tokenRefreshes == 2)
            #expect(client.statistics.unauthorizedRetries == 0)
        }
    }

    /// The deliberate deviation for short tokens: the margin is half the lifetime, not 5 minutes, so a 6-minute
    /// token is used until 3 minutes remain instead of being refreshed after its first minute.
    @Test func shortTokenIsRefreshedAtHalfItsLifetime() async throws {
        let clock = ManualClock()
        let sandbox = SandboxHarness.configuration { $0.tokenLifetimeMinutes = 6 }
        try await SandboxHarness.run(sandbox: sandbox, clock: clock) { server, client in
            _ = try await client.predictAmountAndFees(Self.query)
            // 3:30 left: a flat 5-minute margin would refresh here. (Steps of 30 s and more, so a loaded machine's
            // real time between calls cannot move the token across the 3-minute line.)
            clock.advance(by: .seconds(2 * 60 + 30))
            _ = try await client.predictAmountAndFees(Self.query)
            #expect(server.sandbox.counters.tokensIssued == 1)
            // 2:30 left: under half the lifetime.
            clock.advance(by: .seconds(60))
            _ = try await client.predictAmountAndFees(Self.query)
            #expect(server.sandbox.counters.tokensIssued == 2)
        }
    }

    @Test func unauthorizedTriggersOneRefreshAndOneRetry() async throws {
        try await SandboxHarness.run { server, client in
            _ = try await client.makeAccount()
            #expect(server.sandbox.expireAllTokens() == 1)
            let account = try await client.makeAccount()
            #expect(account.id == 2)
            #expect(server.sandbox.counters.tokensIssued == 2)
            #expect(server.sandbox.counters.unauthorized == 1)
            #expect(client.statistics.unauthorizedRetries == 1)
        }
    }

    /// A token refused twice in a row: one refresh, one retry, then `.unauthorized`, never a loop.
    @Test func secondConsecutive401EndsUnauthorizedAfterOneRefreshAndOneRetry() async throws {
        try await SandboxHarness.run { server, client in
            _ = try await client.predictAmountAndFees(Self.query)
            server.sandbox.updateFaults { $0.next401 = 2 }
            await #expect(throws: DollrError.unauthorized) { try await client.predictAmountAndFees(Self.query) }
            #expect(client.statistics.unauthorizedRetries == 1)
            #expect(client.statistics.tokenRefreshes == 2)
            #expect(server.sandbox.counters.tokensIssued == 2)
            #expect(server.sandbox.counters.unauthorized == 2)
            #expect(server.sandbox.faultSettings.next401 == 0)
            // Nothing is left stuck: the next call succeeds on the token the refresh brought.
            _ = try await client.predictAmountAndFees(Self.query)
            #expect(server.sandbox.counters.tokensIssued == 2)
            #expect(client.statistics.unauthorizedRetries == 1)
        }
    }

    @Test func tokenExpiredOnTheSandboxClockIsRefreshedAfter401() async throws {
        try await SandboxHarness.run { server, client in
            _ = try await client.predictAmountAndFees(Self.query)
            server.sandbox.advanceClock(by: .seconds(61 * 60))
            _ = try await client.predictAmountAndFees(Self.query)
            #expect(server.sandbox.counters.unauthorized == 1)
            #expect(server.sandbox.counters.tokensIssued == 2)
        }
    }

    @Test func wrongClientSecretIsUnauthorized() async throws {
        try await SandboxHarness.run { server, client in
            var wrong = client.configuration
            wrong.credentials.clientSecret = Secret("wrong")
            let other = DollrClient(configuration: wrong, logger: SandboxHarness.quiet)
            await #expect(throws: DollrError.unauthorized) { try await other.predictAmountAndFees(Self.query) }
            try await other.shutdown()
            #expect(server.sandbox.counters.tokensIssued == 0)
            #expect(server.sandbox.counters.unauthorized == 1)
        }
    }

    @Test func concurrentCallersShareOneTokenCall() async throws {
        try await SandboxHarness.run { server, client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask { _ = try await client.predictAmountAndFees(Self.query) }
                }
                try await group.waitForAll()
            }
            #expect(server.sandbox.counters.tokensIssued == 1)
            server.sandbox.expireAllTokens()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask { _ = try await client.predictAmountAndFees(Self.query) }
                }
                try await group.waitForAll()
            }
            #expect(server.sandbox.counters.tokensIssued == 2)
            #expect(client.statistics.tokenRefreshes == 2)
            #expect(client.statistics.unauthorizedRetries == server.sandbox.counters.unauthorized)
        }
    }
}
