import Foundation
import TestSupport
import Testing

@Suite("payout-lab demo")
struct DemoCommandTests {
    @Test("runs the whole system embedded and exits 0 with every invariant holding")
    func demoHoldsItsInvariants() async throws {
        let demo = try ChildProcess(
            ChildProcess.payoutLabBinary,
            arguments: ["demo", "--commands", "150", "--seed", "7"]
        )
        let status = try await demo.waitForExit(within: .seconds(180))
        let output = demo.stdoutLines.elements.joined(separator: "\n")
        #expect(status == 0, "demo failed:\n\(output)\n\(demo.stderr.suffix(2000))")
        #expect(output.contains("all invariants hold"))
        #expect(!output.contains("VIOLATION"))
        #expect(output.contains("COMPLETED"))
        #expect(output.contains("INSUFFICIENT_FUNDS"), "the declared wallets are too small for every payout")
        // stderr is a pipe here, not a terminal: its last progress line must show the final counts.
        let progress = demo.stderr.split(separator: "\n").last { $0.contains(" answered ") }
        let counts = try #require(progress?.firstMatch(of: /(\d+)\/(\d+) answered/), "no progress line")
        #expect(counts.1 == counts.2, "the last progress line is not the final state: \(progress ?? "")")
        let deadLetters = try #require(progress?.firstMatch(of: /DLQ (\d+)\/(\d+)/), "no DLQ count")
        #expect(deadLetters.1 == deadLetters.2, "\(progress ?? "")")
    }

    @Test("the demo prints its worker's console URL and, with --linger, keeps the console up after the answers")
    func demoLingersWithItsConsole() async throws {
        let demo = try ChildProcess(
            ChildProcess.payoutLabBinary,
            arguments: ["demo", "--commands", "40", "--seed", "5", "--linger", "30"]
        )
        let line = try await demo.stderrLine(containing: "console: http://", within: .seconds(120))
        let url = try #require(line.firstMatch(of: /http:\/\/127\.0\.0\.1:(\d+)\/console/), "\(line)")
        #expect(line.contains("read-only; set PAYOUT_ADMIN_TOKEN"))
        try await demo.stderrLine(containing: "keeping the worker and its console up for 30 s", within: .seconds(120))
        let (status, page) = try await runCommand(
            "/usr/bin/curl",
            ["--silent", "--max-time", "10", "--noproxy", "*", "--fail", "http://127.0.0.1:\(url.1)/console"]
        )
        #expect(status == 0 && page.contains("worker demo-worker") && page.contains("Read-only"), "\(page.prefix(500))")
        #expect(try await demo.waitForExit(within: .seconds(120)) == 0, "\(demo.stderr.suffix(2000))")
    }

    @Test("at trace level, the demo logs no client secret, passcode, token or recipient phone")
    func demoLogsNoSecrets() async throws {
        let secret = "SECRET-c13ar-Xq9"
        let passcode = "748291"
        let merchantPhone = "231779990001"
        let demo = try ChildProcess(
            ChildProcess.payoutLabBinary,
            arguments: ["demo", "--commands", "40", "--seed", "3", "--log-level", "trace"],
            environment: [
                "DOLLR_CLIENT_SECRET": secret, "MERCHANT_PASSCODE": passcode, "MERCHANT_PASSCODE_PHONE": merchantPhone,
            ]
        )
        let status = try await demo.waitForExit(within: .seconds(180))
        let everything = demo.stderr + demo.stdoutLines.elements.joined(separator: "\n")
        #expect(status == 0, "demo failed: \(everything.suffix(2000))")
        #expect(everything.count > 10_000, "trace logging was on")
        #expect(!everything.contains(secret))
        #expect(!everything.contains(passcode))
        #expect(!everything.contains(merchantPhone))
        // The workload's recipients are 2317 + 8 digits; access tokens are sbx_ + 64 hex digits.
        #expect(everything.firstMatch(of: /2317\d{8}/) == nil, "a recipient phone reached the output")
        #expect(everything.firstMatch(of: /sbx_[0-9a-f]{16,}/) == nil, "an access token reached the output")
    }
}
