import Foundation
import TestSupport
import Testing

@Suite("payout-worker run")
struct RunCommandTests {
    @Test("an invalid setting stops start-up with the key named, before anything connects", arguments: [
        (["PAYOUT_ADMIN_PORT": "70000"], "PAYOUT_ADMIN_PORT"),
        (["PAYOUT_STORE_URL": "mysql://db/payouts"], "PAYOUT_STORE_URL"),
        (["PAYOUT_MAX_INFLIGHT": "10"], "PAYOUT_MAX_INFLIGHT"),
        (["MERCHANT_PASSCODE_PHONE": "not-a-phone"], "MERCHANT_PASSCODE_PHONE"),
    ])
    func invalidSettingNamesItsKey(environment: [String: String], key: String) async throws {
        var env = environment
        env["DOLLR_CLIENT_SECRET"] = "do-not-print-me"
        let run = try ChildProcess(ChildProcess.payoutWorkerBinary, arguments: ["run"], environment: env)
        #expect(try await run.waitForExit(within: .seconds(30)) == 78)
        #expect(run.stderr.contains(key), "\(run.stderr)")
        #expect(!run.stderr.contains("do-not-print-me"))
        #expect(!run.stderr.contains("not-a-phone"))
    }
}
