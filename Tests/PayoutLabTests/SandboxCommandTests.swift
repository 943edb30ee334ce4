import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `payout-lab sandbox` as a process: its stdout contract, the merchant it takes from the environment (plain and
/// `_FILE`), `--config`, and a clean exit on SIGTERM. HTTP goes through URLSession, a client that is not ours.
@Suite("payout-lab sandbox")
struct SandboxCommandTests {
    private struct Reply {
        var status: Int
        var body: String
    }

    /// `POST /v1/jwt/client/obtain/token` with these credentials.
    private static func obtainToken(_ baseURL: String, clientID: String, secret: String) async throws -> Reply {
        var request = URLRequest(url: try #require(URL(string: baseURL + "/v1/jwt/client/obtain/token")))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let body = try JSONSerialization.data(withJSONObject: ["client_id": clientID, "client_secret": secret])
        request.httpBody = body
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = try #require(response as? HTTPURLResponse).statusCode
        return Reply(status: status, body: String(decoding: data, as: UTF8.self))
    }

    private static func temporaryFile(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-cli-\(UUID().uuidString)")
        try Data(text.utf8).write(to: url)
        return url
    }

    /// The base URL from the first stdout line, which must be exactly `listening on http://127.0.0.1:PORT`.
    private static func baseURL(of sandbox: ChildProcess) async throws -> String {
        let line = try await sandbox.firstLine()
        let pattern = try Regex(#"^listening on http://127\.0\.0\.1:\d+$"#)
        try #require(line.wholeMatch(of: pattern) != nil, "first stdout line: \(line)")
        return String(line.dropFirst("listening on ".count))
    }

    @Test("prints its loopback address first, takes the merchant from the environment and --config, exits 0 on SIGTERM")
    func environmentConfigAndShutdown() async throws {
        let config = try Self.temporaryFile(#"{"token_lifetime_minutes": 7, "client_secret": "from-config-file"}"#)
        defer { try? FileManager.default.removeItem(at: config) }
        let sandbox = try ChildProcess(
            ChildProcess.payoutLabBinary,
            arguments: ["sandbox", "--port", "0", "--config", config.path],
            // Empty counts as unset: shields the test from the same variables in the environment running it.
            environment: [
                "DOLLR_CLIENT_ID": "cli-client", "DOLLR_CLIENT_SECRET": "cli-secret-x", "DOLLR_CLIENT_SECRET_FILE": "",
            ]
        )
        let base = try await Self.baseURL(of: sandbox)

        let accepted = try await Self.obtainToken(base, clientID: "cli-client", secret: "cli-secret-x")
        #expect(accepted.status == 200, "\(accepted.body)")
        // --config took effect (the lifetime), and the environment won over it (the secret).
        let token = try JSONSerialization.jsonObject(with: Data(accepted.body.utf8)) as? [String: Any]
        #expect(token?["expires_in"] as? Int == 7)
        let defaultSecret = try await Self.obtainToken(base, clientID: "cli-client", secret: "sandbox-secret")
        #expect(defaultSecret.status == 401)
        #expect(defaultSecret.body == #"{"detail":"Could not validate credentials"}"#)
        let configSecret = try await Self.obtainToken(base, clientID: "cli-client", secret: "from-config-file")
        #expect(configSecret.status == 401)

        sandbox.signal(SIGTERM)
        #expect(try await sandbox.waitForExit() == 0)
        #expect(sandbox.stdoutLines.elements.count == 1, "stdout: \(sandbox.stdoutLines.elements)")
        #expect(!sandbox.stderr.contains("cli-secret-x"))
    }

    @Test("reads DOLLR_CLIENT_SECRET_FILE as the worker does, without the file's trailing newline")
    func secretFromFile() async throws {
        let secretFile = try Self.temporaryFile("cli-file-secret-y\n")
        defer { try? FileManager.default.removeItem(at: secretFile) }
        let sandbox = try ChildProcess(
            ChildProcess.payoutLabBinary,
            arguments: ["sandbox", "--port", "0"],
            environment: [
                "DOLLR_CLIENT_ID": "", "DOLLR_CLIENT_SECRET": "", "DOLLR_CLIENT_SECRET_FILE": secretFile.path,
            ]
        )
        let base = try await Self.baseURL(of: sandbox)
        let accepted = try await Self.obtainToken(base, clientID: "sandbox-client", secret: "cli-file-secret-y")
        let refused = try await Self.obtainToken(base, clientID: "sandbox-client", secret: "sandbox-secret")
        sandbox.signal(SIGTERM)
        #expect(try await sandbox.waitForExit() == 0)
        #expect(accepted.status == 200, "\(accepted.body)")
        #expect(refused.status == 401)
    }

    /// `payout-lab` traps the signals of `sandbox` and `broker` before `main`, as `payout-worker`
    /// does for `run`: the child starts with them blocked, so a signal sent right after the spawn
    /// waits, pending, for that trap (see the same test of `payout-worker run`).
    @Test(
        "SIGTERM or SIGINT at any moment of start-up stops the sandbox and the broker with exit 0",
        arguments: [
            (["sandbox", "--port", "0"], SIGTERM, 0), (["sandbox", "--port", "0"], SIGINT, 5),
            (["broker"], SIGTERM, 0), (["broker"], SIGTERM, 20),
        ]
    )
    func stopDuringStartUp(arguments: [String], signal: Int32, afterMilliseconds delay: Int) async throws {
        let child = try ChildProcess(
            ChildProcess.payoutLabBinary,
            arguments: arguments,
            blockedSignals: [SIGTERM, SIGINT]
        )
        // The moment of the signal is what is under test, not a wait for something to happen.
        if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
        child.signal(signal)
        let status = try await child.waitForExit(within: .seconds(60))
        #expect(
            status == 0,
            "\(arguments[0]): exit \(status) after a signal at \(delay) ms: \(child.stderr.suffix(2000))"
        )
    }
}
