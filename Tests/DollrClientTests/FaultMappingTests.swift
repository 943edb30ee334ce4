import DollrClient
import DollrSandbox
import Foundation
import TestSupport
import Testing

@Suite("Typed outcomes for every failure the sandbox can produce")
struct FaultMappingTests {
    @Test func unverifiedMerchantIsForbidden() async throws {
        try await SandboxHarness.run { server, client in
            server.sandbox.merchantVerified = false
            await #expect(throws: DollrError.forbidden(detail: "Merchant account is not fully verified")) {
                try await client.makeAccount()
            }
            server.sandbox.merchantVerified = true
            let account = try await client.makeAccount()
            #expect(account.id == 1)
        }
    }

    @Test func validationCarriesTheDetailList() async throws {
        try await SandboxHarness.run { _, client in
            await #expect(
                throws: DollrError.validation([
                    ValidationIssue(
                        loc: ["body", "payout_account_id"],
                        msg: "Payment account not found",
                        type: "value_error.not_found"
                    )
                ])
            ) {
                try await client.createPayoutSession(
                    CreatePayoutSessionRequest(payoutAccountID: 999, amount: .usd("1.00"))
                )
            }
            let account = try await client.makeAccount()
            await #expect(
                throws: DollrError.validation([
                    ValidationIssue(
                        loc: ["body", "amount"],
                        msg: "Input should be greater than or equal to 0.01",
                        type: "greater_than_equal"
                    )
                ])
            ) {
                try await client.createPayoutSession(
                    CreatePayoutSessionRequest(payoutAccountID: account.id, amount: .usd("0.00"))
                )
            }
            await #expect(
                throws: DollrError.validation([
                    ValidationIssue(
                        loc: ["body", "currency"],
                        msg: "Merchant has no wallet in EUR",
                        type: "value_error.wallet_not_found"
                    )
                ])
            ) {
                try await client.createPayoutSession(
                    CreatePayoutSessionRequest(
                        payoutAccountID: account.id,
                        amount: Money(minorUnits: 100, currency: try CurrencyCode("EUR"))
                    )
                )
            }
        }
    }

    @Test func wrongPasscodeIsPasscodeRejected() async throws {
        let referenceID = UUID()
        try await SandboxHarness.run(client: { $0.credentials.passcode = Secret("000000") }) { server, client in
            await #expect(throws: DollrError.passcodeRejected) {
                try await client.pay(.usd("1.00"), referenceID: referenceID)
            }
            let entry = try #require(server.sandbox.ledgerSnapshot().execution(referenceID.uuidString))
            #expect(!entry.accepted)
            #expect(entry.executeCalls == 1)
        }
    }

    @Test func wrongPasscodePhoneIsPasscodeRejected() async throws {
        try await SandboxHarness.run(client: { $0.credentials.passcodePhone = try! PhoneNumber("231779999999") }) {
            _,
            client in
            await #expect(throws: DollrError.passcodeRejected) { try await client.pay(.usd("1.00")) }
        }
    }

    @Test func rateLimitIsWaitedOutAndRetried() async throws {
        try await SandboxHarness.run { server, client in
            _ = try await client.makeAccount()
            server.sandbox.updateFaults { $0.next429 = 1 }
            let elapsed = try await ContinuousClock().measure { _ = try await client.makeAccount() }
            #expect(client.statistics.rateLimitedRetries == 1)
            #expect(server.sandbox.counters.rateLimited == 1)
            // The retry waited Retry-After (1 s) first; only a lower bound, which cannot flake.
            #expect(elapsed >= .seconds(1))
        }
    }

    @Test func persistentRateLimitEndsRateLimited() async throws {
        let policy = RateLimitRetryPolicy(maxRetries: 2)
        try await SandboxHarness.run(client: { $0.rateLimitRetry = policy }) { server, client in
            _ = try await client.makeAccount()
            server.sandbox.updateFaults { $0.p429 = 1 }
            await #expect(throws: DollrError.rateLimited(retryAfter: .seconds(1))) { try await client.makeAccount() }
            #expect(server.sandbox.counters.rateLimited == 3)
            #expect(client.statistics.rateLimitedRetries == 2)
        }
    }

    @Test func serverErrorOnExecuteIsOutcomeUnknownAndNothingLanded() async throws {
        try await SandboxHarness.run { server, client in
            let account = try await client.makeAccount()
            let session = try await client.createPayoutSession(
                CreatePayoutSessionRequest(payoutAccountID: account.id, amount: .usd("1.00"))
            )
            server.sandbox.updateFaults { $0.p5xx = 1 }
            let referenceID = UUID()
            await Self.expectUnknownOutcomeFromServerError { () throws(DollrError) in
                _ = try await client.executePayout(
                    ExecutePayoutRequest(sessionID: session.id, payoutAccountID: account.id, referenceID: referenceID)
                )
            }
            server.sandbox.updateFaults { $0.p5xx = 0 }
            await #expect(throws: DollrError.notFound) { try await client.payoutStatus(referenceID: referenceID) }
            #expect(server.sandbox.counters.executionsAccepted == 0)
        }
    }

    /// The harsher 5xx: Dollr acted, then answered 500/502/503. The client must not read it as "nothing happened".
    @Test func serverErrorAfterAcceptIsOutcomeUnknownAndTheExecutionLanded() async throws {
        try await SandboxHarness.run { server, client in
            let account = try await client.makeAccount()
            let session = try await client.createPayoutSession(
                CreatePayoutSessionRequest(payoutAccountID: account.id, amount: .usd("1.00"))
            )
            server.sandbox.updateFaults { $0.p5xxAfterAccept = 1 }
            let request = ExecutePayoutRequest(sessionID: session.id, payoutAccountID: account.id, referenceID: UUID())
            await Self.expectUnknownOutcomeFromServerError { () throws(DollrError) in
                _ = try await client.executePayout(request)
            }
            let entry = try #require(server.sandbox.ledgerSnapshot().execution(request.referenceID.uuidString))
            #expect(entry.accepted && entry.executeCalls == 1 && entry.status == .pending)
            let counters = server.sandbox.counters
            #expect(counters.serverErrorsAfterAccept == 1 && counters.serverErrors == 1)
            #expect(counters.executionsAccepted == 1)
            // What the worker must do next: poll the same reference, which exists; executing it again is refused.
            #expect(try await client.payoutStatus(referenceID: request.referenceID).referenceID == request.referenceID)
            await #expect(throws: DollrError.duplicateReference) { try await client.executePayout(request) }
        }
    }

    @Test func serverErrorOnIdempotentCallIsServer() async throws {
        try await SandboxHarness.run { server, client in
            _ = try await client.makeAccount()
            server.sandbox.updateFaults { $0.p5xx = 1 }
            do throws(DollrError) {
                _ = try await client.makeAccount()
                Issue.record("call succeeded through a 5xx")
            } catch {
                guard case .server = error else {
                    Issue.record("expected server, got \(error)")
                    return
                }
            }
        }
    }

    @Test func hangIsOutcomeUnknownTimeoutAndNothingLanded() async throws {
        try await SandboxHarness.runShortTimedExecute { server, client, checker, account, session in
            server.sandbox.updateFaults { $0.pHang = 1 }
            let referenceID = UUID()
            await #expect(throws: DollrError.outcomeUnknown(.timeout)) {
                try await client.executePayout(
                    ExecutePayoutRequest(sessionID: session.id, payoutAccountID: account.id, referenceID: referenceID)
                )
            }
            // On a loaded machine the request may reach the sandbox after the client gave up:
            // the fault stays on until the sandbox has drawn it.
            try await eventually("the sandbox hung the call") { server.sandbox.counters.hangs == 1 }
            server.sandbox.updateFaults { $0.pHang = 0 }
            await #expect(throws: DollrError.notFound) { try await checker.payoutStatus(referenceID: referenceID) }
        }
    }

    @Test func lostResponseIsOutcomeUnknownButTheExecutionExists() async throws {
        try await SandboxHarness.runShortTimedExecute { server, client, checker, account, session in
            server.sandbox.updateFaults { $0.pLostResponse = 1 }
            let referenceID = UUID()
            let request = ExecutePayoutRequest(
                sessionID: session.id,
                payoutAccountID: account.id,
                referenceID: referenceID
            )
            await #expect(throws: DollrError.outcomeUnknown(.timeout)) { try await client.executePayout(request) }
            // On a loaded machine the request may reach the sandbox after the client gave up:
            // the fault stays on until the sandbox has drawn it.
            try await eventually("the sandbox lost the response") { server.sandbox.counters.lostResponses == 1 }
            server.sandbox.updateFaults { $0.pLostResponse = 0 }
            // The execution was recorded before the response was lost: that is what "lost response" means.
            try await eventually("the sandbox recorded the execution") {
                server.sandbox.ledgerSnapshot().execution(referenceID.uuidString) != nil
            }
            let status = try await checker.payoutStatus(referenceID: referenceID)
            #expect(status.referenceID == referenceID)
            let entry = try #require(server.sandbox.ledgerSnapshot().execution(referenceID.uuidString))
            #expect(entry.executeCalls == 1)
            #expect(entry.accepted)
            await #expect(throws: DollrError.duplicateReference) { try await checker.executePayout(request) }
        }
    }

    @Test func pausedSandboxHoldsCallsUntilResumedAndCountsRefusedDuplicates() async throws {
        try await SandboxHarness.run { server, client in
            let account = try await client.makeAccount()
            let session = try await client.createPayoutSession(
                CreatePayoutSessionRequest(payoutAccountID: account.id, amount: .usd("1.00"))
            )
            let request = ExecutePayoutRequest(sessionID: session.id, payoutAccountID: account.id, referenceID: UUID())
            let requestsBefore = server.sandbox.counters.requests
            server.sandbox.pause()
            let held = Task { try await client.executePayout(request) }
            // The call reached the sandbox and is parked there: nothing was executed while paused.
            try await eventually("execute reached the paused sandbox") {
                server.sandbox.counters.requests > requestsBefore
            }
            #expect(server.sandbox.ledgerSnapshot().execution(request.referenceID.uuidString) == nil)
            server.sandbox.resume()
            _ = try await held.value
            let second = try await client.createPayoutSession(
                CreatePayoutSessionRequest(payoutAccountID: account.id, amount: .usd("1.00"))
            )
            await #expect(throws: DollrError.duplicateReference) {
                try await client.executePayout(
                    ExecutePayoutRequest(
                        sessionID: second.id,
                        payoutAccountID: account.id,
                        referenceID: request.referenceID
                    )
                )
            }
            let entry = try #require(server.sandbox.ledgerSnapshot().execution(request.referenceID.uuidString))
            #expect(
                entry.accepted && entry.executeCalls == 2 && entry.duplicateExecuteCalls == 1 && !entry.refusedForFunds
            )
        }
    }

    @Test func droppedConnectionAfterAcceptanceIsOutcomeUnknown() async throws {
        let configuration = SandboxHarness.configuration { $0.faults.hangMs = 0 }
        try await SandboxHarness.run(sandbox: configuration) { server, client in
            let account = try await client.makeAccount()
            let session = try await client.createPayoutSession(
                CreatePayoutSessionRequest(payoutAccountID: account.id, amount: .usd("1.00"))
            )
            server.sandbox.updateFaults { $0.pLostResponse = 1 }
            let referenceID = UUID()
            do throws(DollrError) {
                _ = try await client.executePayout(
                    ExecutePayoutRequest(sessionID: session.id, payoutAccountID: account.id, referenceID: referenceID)
                )
                Issue.record("a dropped response decoded")
            } catch {
                guard case .outcomeUnknown(.connectionLost) = error else {
                    Issue.record("expected outcomeUnknown(connectionLost), got \(error)")
                    return
                }
            }
            server.sandbox.updateFaults { $0.pLostResponse = 0 }
            #expect(try await client.payoutStatus(referenceID: referenceID).referenceID == referenceID)
        }
    }

    @Test func nothingListeningIsConnectionFailedOrUnknown() async throws {
        let server = try await SandboxServer.start(logger: SandboxHarness.quiet)
        let url = server.baseURL
        await server.stop()
        let client = DollrClient(
            configuration: DollrConfiguration(
                baseURL: url,
                credentials: .sandboxDefaults,
                connectTimeout: .milliseconds(200),
                requestTimeout: .seconds(2)
            ),
            logger: SandboxHarness.quiet
        )
        do throws(DollrError) {
            _ = try await client.payoutStatus(referenceID: UUID())
            Issue.record("reached a stopped server")
        } catch {
            guard case .connectionFailed = error else {
                Issue.record("expected connectionFailed, got \(error)")
                try await client.shutdown()
                return
            }
        }
        try await client.shutdown()
    }

    /// An execute answered 500/502/503 must come back as an unknown outcome, never as success.
    static func expectUnknownOutcomeFromServerError(_ execute: () async throws(DollrError) -> Void) async {
        do throws(DollrError) {
            try await execute()
            Issue.record("execute succeeded through a 5xx")
        } catch {
            guard case .outcomeUnknown(.serverError(let status)) = error else {
                Issue.record("expected outcomeUnknown(serverError), got \(error)")
                return
            }
            #expect([500, 502, 503].contains(status))
        }
    }
}
