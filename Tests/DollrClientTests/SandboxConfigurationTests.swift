import DollrClient
import DollrSandbox
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
             "faults":{"p_429":0.5,"hang_ms":100},"seed":7}
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
