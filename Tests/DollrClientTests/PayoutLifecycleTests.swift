import DollrClient
import DollrSandbox
import Foundation
import Testing

@Suite("Execution lifecycle and the sandbox ledger")
struct PayoutLifecycleTests {
    @Test func pendingProcessingCompletedDebitsAmountPlusFee() async throws {
        try await SandboxHarness.run { server, client in
            let before = try #require(server.sandbox.ledgerSnapshot().wallet(.usd)).balance
            let referenceID = UUID()
            let (_, accepted) = try await client.pay(.usd("250.00"), referenceID: referenceID)
            #expect(accepted.status == .pending)
            server.sandbox.advanceClock(by: .milliseconds(1000))
            #expect(try await client.payoutStatus(referenceID: referenceID).status == .processing)
            #expect(server.sandbox.ledgerSnapshot().wallet(.usd)?.balance == before)
            server.sandbox.advanceClock(by: .seconds(60))
            let completed = try await client.payoutStatus(referenceID: referenceID)
            #expect(completed.status == .completed)
            #expect(completed.status.isTerminal)
            #expect(completed.providerTransactionID != nil)
            let ledger = server.sandbox.ledgerSnapshot()
            // 250.00 + 1% fee (2.50).
            #expect(ledger.wallet(.usd)?.balance == before - .usd("252.50"))
            let entry = try #require(ledger.execution(referenceID.uuidString))
            #expect(entry.executeCalls == 1)
            #expect(entry.accepted)
            #expect(entry.status == .completed)
            #expect(entry.debited == .usd("252.50"))
        }
    }

    @Test func walletThatCannotCoverAmountPlusFeeFails() async throws {
        try await SandboxHarness.run { server, client in
            server.sandbox.setWalletBalance(.usd("100.50"))
            let referenceID = UUID()
            _ = try await client.pay(.usd("100.50"), referenceID: referenceID)
            server.sandbox.advanceClock(by: .seconds(61))
            let failed = try await client.payoutStatus(referenceID: referenceID)
            #expect(failed.status == .failed)
            #expect(failed.walletMessage?.contains("Insufficient wallet balance") == true)
            #expect(failed.gatewayMessage == nil)
            let ledger = server.sandbox.ledgerSnapshot()
            #expect(ledger.wallet(.usd)?.balance == .usd("100.50"))
            #expect(ledger.execution(referenceID.uuidString)?.debited == .usd("0.00"))
        }
    }

    @Test func settlementDebitsInDueOrderAndNeverBelowZero() async throws {
        try await SandboxHarness.run { server, client in
            server.sandbox.setWalletBalance(.usd("30.00"))
            var references: [UUID] = []
            for _ in 0..<3 {
                let referenceID = UUID()
                _ = try await client.pay(.usd("10.00"), referenceID: referenceID)
                references.append(referenceID)
            }
            server.sandbox.advanceClock(by: .seconds(61))
            var statuses: [ExecutionStatus] = []
            for referenceID in references {
                statuses.append(try await client.payoutStatus(referenceID: referenceID).status)
            }
            // Each costs 10.10; 30.00 covers two.
            #expect(statuses == [.completed, .completed, .failed])
            #expect(server.sandbox.ledgerSnapshot().wallet(.usd)?.balance == .usd("9.80"))
        }
    }

    @Test func providerFailureEndsFailedWithGatewayMessage() async throws {
        let configuration = SandboxHarness.configuration { $0.faults.pProviderFailed = 1 }
        try await SandboxHarness.run(sandbox: configuration) { server, client in
            let before = server.sandbox.ledgerSnapshot().wallet(.usd)?.balance
            let referenceID = UUID()
            _ = try await client.pay(.usd("10.00"), referenceID: referenceID)
            server.sandbox.advanceClock(by: .seconds(61))
            let failed = try await client.payoutStatus(referenceID: referenceID)
            #expect(failed.status == .failed)
            #expect(failed.gatewayMessage != nil)
            #expect(failed.walletMessage == nil)
            #expect(server.sandbox.ledgerSnapshot().wallet(.usd)?.balance == before)
        }
    }

    @Test func duplicateReferenceIsRejectedAndCounted() async throws {
        try await SandboxHarness.run { server, client in
            let referenceID = UUID()
            let (session, _) = try await client.pay(.usd("1.00"), referenceID: referenceID)
            await #expect(throws: DollrError.duplicateReference) {
                try await client.executePayout(
                    ExecutePayoutRequest(
                        sessionID: session.id,
                        payoutAccountID: session.payoutAccountID,
                        referenceID: referenceID
                    )
                )
            }
            let entry = try #require(server.sandbox.ledgerSnapshot().execution(referenceID.uuidString))
            #expect(entry.executeCalls == 2)
            #expect(server.sandbox.counters.duplicateExecutes == 1)
            #expect(server.sandbox.counters.executionsAccepted == 1)
        }
    }

    @Test func usedSessionCannotBeExecutedAgain() async throws {
        try await SandboxHarness.run { _, client in
            let (session, _) = try await client.pay(.usd("1.00"))
            await #expect(throws: DollrError.sessionExpired) {
                try await client.executePayout(
                    ExecutePayoutRequest(
                        sessionID: session.id,
                        payoutAccountID: session.payoutAccountID,
                        referenceID: UUID()
                    )
                )
            }
        }
    }

    @Test func expiredSessionIsRejected() async throws {
        try await SandboxHarness.run { server, client in
            let account = try await client.makeAccount()
            let session = try await client.createPayoutSession(
                CreatePayoutSessionRequest(payoutAccountID: account.id, amount: .usd("1.00"))
            )
            server.sandbox.advanceClock(by: .seconds(901))
            await #expect(throws: DollrError.sessionExpired) {
                try await client.executePayout(
                    ExecutePayoutRequest(sessionID: session.id, payoutAccountID: account.id, referenceID: UUID())
                )
            }
            #expect(server.sandbox.counters.executionsAccepted == 0)
        }
    }

    @Test func zeroSessionLifetimeExpiresAtOnce() async throws {
        let configuration = SandboxHarness.configuration { $0.sessionLifetime = .zero }
        try await SandboxHarness.run(sandbox: configuration) { _, client in
            await #expect(throws: DollrError.sessionExpired) { try await client.pay(.usd("1.00")) }
        }
    }

    @Test func unknownSessionIsRejected() async throws {
        try await SandboxHarness.run { _, client in
            let account = try await client.makeAccount()
            await #expect(throws: DollrError.sessionExpired) {
                try await client.executePayout(
                    ExecutePayoutRequest(sessionID: UUID().uuidString, payoutAccountID: account.id, referenceID: UUID())
                )
            }
        }
    }
}
