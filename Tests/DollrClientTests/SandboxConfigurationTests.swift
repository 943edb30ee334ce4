import DollrClient
import DollrSandbox
import Foundation
import Testing

@Suite("Sandbox configuration file and environment")
struct SandboxConfigurationTests {
    @Test func defaultsWithoutFileOrEnvironment() throws {
        let configuration = try SandboxConfiguration.load(json: nil, environment: [:])
        #expect(configuration.merchant == .sandboxDefaults)
        #expect(configuration.merchantVerified)
        #expect(configuration.tokenLifetimeMinutes == 60)
        #expect(configuration.sessionLifetime == .seconds(900))
        #expect(configuration.wallets.map(\.description) == ["1000000.00", "100000000.00"])
        #expect(configuration.faults == FaultSettings())
    }

    @Test func fileThenEnvironment() throws {
        let json = #"""
            {"client_id":"from-file","passcode":"222222","merchant_verified":false,"token_lifetime_minutes":5,
             "session_lifetime_ms":1000,"wallets":{"USD":"10.00","RWF":"5000"},"fees":{"basis_points":250},
             "faults":{"p_429":0.5,"hang_ms":100,"p_5xx_after_accept":0.25},"seed":7}
            """#
        let configuration = try SandboxConfiguration.load(
            json: Array(json.utf8),
            environment: ["DOLLR_CLIENT_ID": "from-env", "MERCHANT_PASSCODE_PHONE": "250781234567"]
        )
        #expect(configuration.merchant.clientID == "from-env")
        #expect(configuration.merchant.passcode.revealed == "222222")
        #expect(configuration.merchant.clientSecret.revealed == "sandbox-secret")
        #expect(configuration.merchant.passcodePhone.revealed == "250781234567")
        #expect(!configuration.merchantVerified)
        #expect(configuration.tokenLifetimeMinutes == 5)
        #expect(configuration.sessionLifetime == .seconds(1))
        #expect(configuration.wallets.map { "\($0.currency) \($0)" } == ["RWF 5000", "USD 10.00"])
        #expect(configuration.fees.fee(for: .usd("100.00")) == .usd("2.50"))
        #expect(configuration.faults.p429 == 0.5)
        #expect(configuration.faults.hangMs == 100)
        #expect(configuration.faults.p5xxAfterAccept == 0.25)
        #expect(configuration.seed == 7)
    }

    @Test(arguments: [
        #"{"nope":1}"#, #"{"wallets":{"USD":"1.001"}}"#, #"{"faults":{"p_hang":3}}"#, "[", #"{"seed":-1}"#,
    ])
    func badFilesAreRefused(json: String) {
        #expect(throws: SandboxConfigurationError.self) {
            try SandboxConfiguration.load(json: Array(json.utf8), environment: [:])
        }
    }

    /// A hang that ends when the client gives up is a race between a timeout and a 504; the default must not be one.
    @Test func defaultHangOutlastsTheDefaultClientTimeout() throws {
        let client = DollrConfiguration(
            baseURL: try #require(URL(string: "http://127.0.0.1")),
            credentials: .sandboxDefaults
        )
        #expect(Duration.milliseconds(FaultSettings().hangMs) >= client.requestTimeout * 2)
    }

    /// `config/sandbox.example.json` spells out the defaults; it must not drift from them (it once set hang_ms to the
    /// client's timeout).
    @Test func exampleFileHoldsTheDefaults() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("config/sandbox.example.json"))
        let configuration = try SandboxConfiguration.load(json: [UInt8](data), environment: [:])
        #expect(configuration.faults == FaultSettings())
        #expect(configuration.merchant == .sandboxDefaults)
        // The file lists wallets in currency order, the defaults USD first: the same balances either way.
        #expect(Set(configuration.wallets) == Set(SandboxConfiguration.defaultWallets))
    }

    @Test func feeScheduleRoundsUpAndAppliesMinimums() throws {
        let fees = FeeSchedule()
        #expect(fees.fee(for: .usd("100.50")) == .usd("1.01"))
        #expect(fees.fee(for: .usd("100.00")) == .usd("1.00"))
        #expect(fees.fee(for: .usd("0.01")) == .usd("0.10"))
        #expect(fees.fee(for: Money(minorUnits: 100_000, currency: .lrd)).description == "10.00")
        let rwf = try CurrencyCode("RWF")
        #expect(fees.fee(for: Money(minorUnits: 150, currency: rwf)).description == "2")
        #expect(fees.fee(for: Money(minorUnits: .max, currency: .usd)).minorUnits == Int64.max / 100 + 1)
    }
}

/// `DOLLR_CLIENT_SECRET_FILE` / `MERCHANT_PASSCODE_FILE`: the sandbox reads them as the worker does.
@Suite("Sandbox secrets from *_FILE variables")
struct SandboxSecretFileTests {
    /// A file under the temporary directory holding `text`, removed by the caller.
    private static func file(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-secret-\(UUID().uuidString)")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test func secretsComeFromFilesWithoutTheirTrailingNewline() throws {
        let secretFile = try Self.file("file-secret-4711\n")
        let passcodeFile = try Self.file("654321\r\n")
        defer { try? FileManager.default.removeItem(atPath: secretFile) }
        defer { try? FileManager.default.removeItem(atPath: passcodeFile) }
        let configuration = try SandboxConfiguration.load(
            json: Array(#"{"client_secret":"from-config"}"#.utf8),
            environment: ["DOLLR_CLIENT_SECRET_FILE": secretFile, "MERCHANT_PASSCODE_FILE": passcodeFile]
        )
        #expect(configuration.merchant.clientSecret.revealed == "file-secret-4711")
        #expect(configuration.merchant.passcode.revealed == "654321")
        #expect(configuration.merchant.clientID == "sandbox-client")
    }

    @Test func badSecretFilesNameTheirVariableNeverTheContent() throws {
        let empty = try Self.file("\n")
        let secret = try Self.file("file-secret-999\n")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        defer { try? FileManager.default.removeItem(atPath: secret) }
        let cases: [([String: String], String)] = [
            (
                ["DOLLR_CLIENT_SECRET_FILE": "/nonexistent/\(UUID().uuidString)"],
                "DOLLR_CLIENT_SECRET_FILE names a file that cannot be read"
            ),
            (["MERCHANT_PASSCODE_FILE": empty], "MERCHANT_PASSCODE_FILE names an empty file"),
            (
                ["MERCHANT_PASSCODE": "direct-777", "MERCHANT_PASSCODE_FILE": secret],
                "MERCHANT_PASSCODE_FILE is set together with MERCHANT_PASSCODE"
            ),
        ]
        for (environment, expected) in cases {
            let error = try #require(throws: SandboxConfigurationError.self) {
                try SandboxConfiguration.load(json: nil, environment: environment)
            }
            #expect(error.description.contains(expected), "\(error)")
            #expect(!error.description.contains("file-secret-999") && !error.description.contains("direct-777"))
        }
    }
}
