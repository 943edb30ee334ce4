import Foundation
import TestSupport
import Testing

@testable import DollrClient
@testable import DollrSandbox

@Suite("No secret or phone number reaches a log line")
struct LoggingTests {
    @Test func secretsPasscodeTokensAndPhonesAreAbsentFromTraceLogs() async throws {
        let credentials = MerchantCredentials(
            clientID: "log-test-client",
            clientSecret: Secret("s3cret-Zeta-991"),
            passcode: Secret("914273"),
            passcodePhone: try PhoneNumber("231775550123")
        )
        let recipient = try PhoneNumber("231889990042")
        let capture = LogCapture()
        let configuration = SandboxHarness.configuration { $0.merchant = credentials }
        var tokens: [String] = []
        var errorTexts: [String] = []
        try await SandboxHarness.run(
            sandbox: configuration,
            clientLogger: capture.logger("client"),
            sandboxLogger: capture.logger("sandbox")
        ) { server, client in
            let account = try await client.makeAccount(phone: recipient)
            _ = try await client.lookupProvider(phone: recipient)
            let session = try await client.createPayoutSession(
                CreatePayoutSessionRequest(payoutAccountID: account.id, amount: .usd("12.34"))
            )
            let referenceID = UUID()
            let request = ExecutePayoutRequest(
                sessionID: session.id, payoutAccountID: account.id, referenceID: referenceID)
            _ = try await client.executePayout(request)
            tokens += server.sandbox.issuedTokens
            server.sandbox.expireAllTokens()
            _ = try await client.payoutStatus(referenceID: referenceID)
            tokens += server.sandbox.issuedTokens
            do throws(DollrError) {
                _ = try await client.executePayout(request)
            } catch {
                errorTexts.append("\(error)")
            }
            var wrong = client.configuration
            wrong.credentials.passcode = Secret("111111")
            let other = DollrClient(configuration: wrong, logger: capture.logger("client-wrong-passcode"))
            try await SandboxHarness.withShutdown(other) { other in
                let second = try await other.createPayoutSession(
                    CreatePayoutSessionRequest(payoutAccountID: account.id, amount: .usd("1.00"))
                )
                do throws(DollrError) {
                    _ = try await other.executePayout(
                        ExecutePayoutRequest(sessionID: second.id, payoutAccountID: account.id, referenceID: UUID())
                    )
                } catch {
                    errorTexts.append("\(error)")
                }
                tokens += server.sandbox.issuedTokens
            }
        }
        let lines = capture.all
        // The test is only meaningful if the code paths above logged something from both sides.
        #expect(lines.contains { $0.contains("client") && $0.contains("/v1/executions/payout") })
        #expect(lines.contains { $0.contains("sandbox") && $0.contains("accepted an execute") })
        #expect(tokens.count >= 2)
        let forbidden = ["s3cret-Zeta-991", "914273", "111111", "231775550123", "231889990042"] + tokens
        for line in lines + errorTexts {
            for secret in forbidden {
                #expect(!line.contains(secret), "leaked into: \(line)")
            }
        }
    }
}
