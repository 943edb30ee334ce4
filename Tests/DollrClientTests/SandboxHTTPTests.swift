import AsyncHTTPClient
import DollrSandbox
import Foundation
import NIOCore
import Testing

@testable import DollrClient

/// The sandbox as curl sees it: exact bodies, statuses and the admin API.
@Suite("Sandbox over raw HTTP")
struct SandboxHTTPTests {
    private struct Reply {
        var status: Int
        var headers: [(String, String)]
        var json: JSONValue
    }

    private func send(
        _ server: SandboxServer,
        _ method: String,
        _ path: String,
        body: String? = nil,
        token: String? = nil
    )
        async throws -> Reply
    {
        var request = HTTPClientRequest(url: server.baseURL.absoluteString + path)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        var buffer = try await response.body.collect(upTo: 1 << 20)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        return Reply(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            json: bytes.isEmpty ? .null : try JSONParser.parse(bytes)
        )
    }

    private func token(_ server: SandboxServer) async throws -> String {
        let reply = try await self.send(
            server,
            "POST",
            "/v1/jwt/client/obtain/token",
            body: #"{"client_id":"sandbox-client","client_secret":"sandbox-secret"}"#
        )
        #expect(reply.status == 200)
        let object = try reply.json.object(context: "token")
        #expect(object["expires_in"] == .number("60"))
        return try object.string("access_token")
    }

    @Test func unauthorizedBodyIsExactlyDocumented() async throws {
        let server = try await SandboxServer.start(logger: SandboxHarness.quiet)
        let missing = try await self.send(server, "GET", "/v1/status/payout/\(UUID().uuidString)")
        let wrong = try await self.send(server, "GET", "/v1/status/payout/\(UUID().uuidString)", token: "sbx_forged")
        let badCredentials = try await self.send(
            server,
            "POST",
            "/v1/jwt/client/obtain/token",
            body: #"{"client_id":"sandbox-client","client_secret":"nope"}"#
        )
        await server.stop()
        for reply in [missing, wrong, badCredentials] {
            #expect(reply.status == 401)
            #expect(reply.json == .object(["detail": .string("Could not validate credentials")]))
        }
    }

    /// Where no route matches, FastAPI still answers JSON: 404 for an unknown path, 405 (with `Allow`) for a known
    /// path and another method. Hummingbird alone sends an empty 404 for both.
    @Test func unmatchedRoutesAnswerLikeFastAPI() async throws {
        let server = try await SandboxServer.start(logger: SandboxHarness.quiet)
        let status = "/v1/status/payout/\(UUID().uuidString.lowercased())"
        let unknown = try await self.send(server, "GET", "/v1/nowhere")
        let unknownPost = try await self.send(server, "POST", "/nowhere/at/all", body: "{}")
        let wrongMethod = try await self.send(server, "DELETE", "/v1/sessions/payout")
        let wrongMethodOnParameterPath = try await self.send(server, "POST", status, body: "{}")
        let wrongAdminMethod = try await self.send(server, "GET", "/_sandbox/pause")
        let head = try await self.send(server, "HEAD", status)
        let get = try await self.send(server, "GET", status)
        await server.stop()

        func header(_ reply: Reply, _ name: String) -> String? {
            reply.headers.first { $0.0.lowercased() == name }?.1
        }
        for reply in [unknown, unknownPost] {
            #expect(reply.status == 404)
            #expect(reply.json == .object(["detail": .string("Not Found")]))
            #expect(header(reply, "content-type") == "application/json")
        }
        for (reply, allow) in [
            (wrongMethod, "POST"), (wrongMethodOnParameterPath, "GET, HEAD"), (wrongAdminMethod, "POST"),
        ] {
            #expect(reply.status == 405)
            #expect(reply.json == .object(["detail": .string("Method Not Allowed")]))
            #expect(header(reply, "allow") == allow)
        }
        // The routes themselves are untouched (no token: 401), and HEAD is served where GET is, as in Starlette.
        #expect(get.status == 401)
        #expect(head.status == 401)
    }

    @Test func executeValidatesTypesTheFastAPIWay() async throws {
        let server = try await SandboxServer.start(logger: SandboxHarness.quiet)
        let token = try await self.token(server)
        let reply = try await self.send(
            server,
            "POST",
            "/v1/executions/payout",
            body:
                #"{"session_id":5,"payout_account_id":1,"reference_id":"not-a-uuid","passcode":{"token":{"code":"123456"},"device":{"name":"x","type":"PHONE"}}}"#,
            token: token
        )
        let v1 = try await self.send(
            server,
            "POST",
            "/v1/sessions/payout",
            body: #"{"payout_account_id":1,"amount":"100.00","currency":"USD"}"#,
            token: token
        )
        await server.stop()
        #expect(reply.status == 422)
        let issues = ValidationIssue.list(fromDetail: try reply.json.object(context: "reply")["detail"]) ?? []
        let summary = issues.map { "\($0.loc.joined(separator: ".")):\($0.type)" }
        #expect(
            summary == [
                "body.session_id:string_type", "body.payout_account_id:string_type", "body.reference_id:uuid_parsing",
                "body.passcode.token:value_error", "body.passcode.device.type:enum",
                "body.passcode.device.platform:missing",
                "body.passcode.device.user_agent:missing", "body.passcode.device.client_ip:missing",
            ]
        )
        #expect(v1.status == 422)
        let sessionIssues = ValidationIssue.list(fromDetail: try v1.json.object(context: "reply")["detail"]) ?? []
        #expect(
            sessionIssues == [
                ValidationIssue(loc: ["body", "amount"], msg: "Input should be a valid number", type: "float_type")
            ]
        )
    }

    @Test func adminAPI() async throws {
        let server = try await SandboxServer.start(logger: SandboxHarness.quiet)
        // Before the faults below make token calls fail at random.
        _ = try await self.token(server)
        let wallet = try await self.send(server, "PUT", "/_sandbox/wallets/USD", body: #"{"balance":"1000.00"}"#)
        let newWallet = try await self.send(server, "PUT", "/_sandbox/wallets/EUR", body: #"{"balance":"5"}"#)
        let badWallet = try await self.send(server, "PUT", "/_sandbox/wallets/USD", body: #"{"balance":"1.001"}"#)
        let faults = try await self.send(
            server,
            "PATCH",
            "/_sandbox/faults",
            body: #"{"p_429":0.25,"processing_ms":10,"p_5xx_after_accept":0.5}"#
        )
        let badFaults = try await self.send(server, "PATCH", "/_sandbox/faults", body: #"{"p_5xx":2,"bogus":1}"#)
        let merchant = try await self.send(server, "PATCH", "/_sandbox/merchant", body: #"{"merchant_verified":false}"#)
        let expired = try await self.send(server, "POST", "/_sandbox/tokens/expire")
        let advanced = try await self.send(server, "POST", "/_sandbox/clock/advance", body: #"{"ms":1000}"#)
        let ledger = try await self.send(server, "GET", "/_sandbox/ledger")
        let verified = server.sandbox.merchantVerified
        let settings = server.sandbox.faultSettings
        await server.stop()

        #expect(wallet.status == 200)
        #expect(wallet.json == .object(["id": .integer(1), "currency": .string("USD"), "balance": .string("1000.00")]))
        #expect(newWallet.json == .object(["id": .integer(3), "currency": .string("EUR"), "balance": .string("5.00")]))
        #expect(badWallet.status == 422)
        #expect(faults.status == 200)
        let faultObject = try faults.json.object(context: "faults")
        #expect(faultObject.keys == FaultSettingsKeys.all)
        #expect(faultObject["p_429"] == .number("0.25"))
        #expect(faultObject["processing_ms"] == .number("10"))
        #expect(faultObject["p_5xx"] == .number("0"))
        #expect(faultObject["p_5xx_after_accept"] == .number("0.5"))
        #expect(badFaults.status == 422)
        #expect(settings.p429 == 0.25)
        #expect(settings.p5xx == 0)
        #expect(settings.p5xxAfterAccept == 0.5)
        #expect(merchant.json == .object(["merchant_verified": .bool(false)]))
        #expect(!verified)
        #expect(expired.json == .object(["expired": .integer(1)]))
        #expect(advanced.json == .object(["advanced_ms": .integer(1000)]))
        let ledgerObject = try ledger.json.object(context: "ledger")
        #expect(ledgerObject.keys == ["wallets", "executions", "counters"])
        #expect(try ledgerObject.array("wallets").count == 3)
        #expect(try ledgerObject.array("executions").isEmpty)
        #expect(try ledgerObject["counters"]?.object(context: "counters")["server_errors_after_accept"] == .number("0"))
    }

    @Test func faultsNeverTouchTheAdminAPI() async throws {
        var configuration = SandboxConfiguration(seed: 1)
        configuration.faults.p5xx = 1
        let server = try await SandboxServer.start(configuration: configuration, logger: SandboxHarness.quiet)
        let ledger = try await self.send(server, "GET", "/_sandbox/ledger")
        let api = try await self.send(server, "GET", "/v1/status/payout/\(UUID().uuidString)")
        await server.stop()
        #expect(ledger.status == 200)
        #expect([500, 502, 503].contains(api.status))
    }
}

private enum FaultSettingsKeys {
    static let all = [
        "latency_ms", "pending_ms", "processing_ms", "p_429", "p_5xx", "p_5xx_after_accept", "p_hang",
        "p_lost_response",
        "p_provider_failed", "hang_ms", "retry_after_s", "next_429", "next_401",
    ]
}
