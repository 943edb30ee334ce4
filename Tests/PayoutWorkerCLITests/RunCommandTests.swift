import Foundation
import LocalPostgres
import TestSupport
import Testing

@Suite("payout-worker run")
struct RunCommandTests {
    @Test(
        "an invalid setting stops start-up with the key named, before anything connects",
        arguments: [
            (["PAYOUT_ADMIN_PORT": "70000"], "PAYOUT_ADMIN_PORT"),
            (["PAYOUT_STORE_URL": "mysql://db/payouts"], "PAYOUT_STORE_URL"),
            (["PAYOUT_MAX_INFLIGHT": "10"], "PAYOUT_MAX_INFLIGHT"),
            (["MERCHANT_PASSCODE_PHONE": "not-a-phone"], "MERCHANT_PASSCODE_PHONE"),
        ]
    )
    func invalidSettingNamesItsKey(environment: [String: String], key: String) async throws {
        var env = environment
        env["DOLLR_CLIENT_SECRET"] = "do-not-print-me"
        let run = try ChildProcess(ChildProcess.payoutWorkerBinary, arguments: ["run"], environment: env)
        #expect(try await run.waitForExit(within: .seconds(30)) == 78)
        #expect(run.stderr.contains(key), "\(run.stderr)")
        #expect(!run.stderr.contains("do-not-print-me"))
        #expect(!run.stderr.contains("not-a-phone"))
    }

    /// A stop can come at any moment after exec: an orchestrator stopping a pod that has just
    /// started, a chaos schedule, a test that gives up. The worker has nothing to reach here (no
    /// broker, no Dollr), so a signal always finds it starting up. The child starts with SIGTERM
    /// and SIGINT blocked, as a careful spawner hands them over: a signal sent right after the
    /// spawn then arrives while the dynamic loader is still at work and waits, pending, for the
    /// worker's own code, which is the only way to keep one from before any of that code runs.
    @Test(
        "SIGTERM or SIGINT at any moment of start-up drains and exits 0: right after exec, 5 ms and 20 ms after it",
        arguments: [(SIGTERM, 0), (SIGTERM, 1), (SIGTERM, 5), (SIGTERM, 20), (SIGINT, 0), (SIGINT, 5)]
    )
    func stopDuringStartUp(signal: Int32, afterMilliseconds delay: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("run-stop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try ChildProcess(
            ChildProcess.payoutWorkerBinary,
            arguments: ["run"],
            environment: [
                "PAYOUT_STORE_URL": "sqlite://\(directory.path)/payouts.db",
                "PAYOUT_KAFKA_BROKERS": "127.0.0.1:\(try LoopbackPort.free())",
                "DOLLR_BASE_URL": "http://127.0.0.1:\(try LoopbackPort.free())",
                "PAYOUT_ADMIN_PORT": "\(try LoopbackPort.free())",
            ],
            blockedSignals: [SIGTERM, SIGINT]
        )
        // The moment of the signal is what is under test, not a wait for something to happen.
        if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
        run.signal(signal)
        let status = try await run.waitForExit(within: .seconds(60))
        #expect(status == 0, "exit \(status) after a signal at \(delay) ms: \(run.stderr.suffix(2000))")
    }
}
