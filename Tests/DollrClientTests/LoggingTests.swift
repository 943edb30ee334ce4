import AsyncHTTPClient
import Foundation
import NIOCore
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
                sessionID: session.id,
                payoutAccountID: account.id,
                referenceID: referenceID
            )
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

    /// The sandbox's 422s carry pydantic v2's `input`, which echoes what was sent: here a wrong passcode. The client
    /// reads only loc/msg/type, so neither its trace logs nor its errors ever hold the echo.
    @Test func inputEchoedIn422sNeverReachesTheClientsLogs() async throws {
        let wrongPasscode = "470011"
        let capture = LogCapture()
        var errorTexts: [String] = []
        var echoed: JSONValue?
        try await SandboxHarness.run(
            client: { $0.credentials.passcode = Secret(wrongPasscode) },
            clientLogger: capture.logger("client"),
            sandboxLogger: capture.logger("sandbox")
        ) { server, client in
            do throws(DollrError) {
                _ = try await client.pay(.usd("1.00"))
                Issue.record("a wrong passcode was accepted")
            } catch {
                #expect(error == .passcodeRejected)
                errorTexts.append("\(error)")
            }
            // A field error inside the passcode object is a validation error with its detail, end to end.
            var badDevice = client.configuration
            badDevice.device = DeviceInfo(type: "PHONE")
            let other = DollrClient(configuration: badDevice, logger: capture.logger("client-bad-device"))
            try await SandboxHarness.withShutdown(other) { other in
                do throws(DollrError) {
                    _ = try await other.pay(.usd("1.00"))
                    Issue.record("a bad device type was accepted")
                } catch {
                    guard case .validation(let issues) = error else {
                        Issue.record("expected validation, got \(error)")
                        return
                    }
                    #expect(issues.map(\.loc) == [["body", "passcode", "device", "type"]])
                    errorTexts.append("\(error)")
                }
            }
            echoed = try await Self.echoedInput(server, passcode: wrongPasscode)
        }
        // The sandbox did echo the passcode, so its absence below is the client's doing.
        #expect(echoed == .string(wrongPasscode))
        let lines = capture.all
        #expect(lines.contains { $0.contains("client") && $0.contains("dollr.status=422") })
        for line in lines + errorTexts {
            #expect(!line.contains(wrongPasscode), "leaked into: \(line)")
        }
    }

    /// The `input` of the 422 a raw execute with `passcode` gets (the passcode is checked before the session).
    private static func echoedInput(_ server: SandboxServer, passcode: String) async throws -> JSONValue? {
        func post(_ path: String, _ body: String, token: String? = nil) async throws -> JSONObject {
            var request = HTTPClientRequest(url: server.baseURL.absoluteString + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            var buffer = try await response.body.collect(upTo: 1 << 20)
            return try JSONParser.parse(buffer.readBytes(length: buffer.readableBytes) ?? []).object(context: path)
        }
        let token = try await post(
            "/v1/jwt/client/obtain/token",
            #"{"client_id":"sandbox-client","client_secret":"sandbox-secret"}"#
        ).string("access_token")
        let reply = try await post(
            "/v1/executions/payout",
            #"{"session_id":"none","payout_account_id":"1","reference_id":""# + UUID().uuidString.lowercased()
                + #"","passcode":{"token":{"code":""# + passcode + #"","phone":"231770000001"},"#
                + #""device":{"name":"t","type":"SERVER","platform":"linux","user_agent":"t","client_ip":"127.0.0.1"}}}"#,
            token: token
        )
        guard case .array(let detail)? = reply["detail"], case .object(let first)? = detail.first else { return nil }
        return first["input"]
    }
}
