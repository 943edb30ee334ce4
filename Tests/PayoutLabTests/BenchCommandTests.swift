import Foundation
import LocalPostgres
import TestSupport
import Testing

@Suite("payout-lab bench")
struct BenchCommandTests {
    /// Every scenario's figure that must come out positive (no timing thresholds: CI machines vary).
    static let positiveFigures: [String: [String]] = [
        "raw": ["commands_per_second", "librdkafka_commands_per_second", "ratio_to_librdkafka"],
        "intake": ["commands_per_second", "ratio_to_raw", "store_ceiling_commands_per_second", "ratio_to_ceiling"],
        "duplicates": ["commands_per_second", "ratio_to_raw"],
        "end-to-end": [
            "payouts_per_second", "provider_calls_per_second", "ceiling_payouts_per_second", "ratio_to_ceiling",
            "latency_p50_ms", "latency_p99_ms", "cpu_seconds_per_1000", "completed",
        ],
        "latency-bound": [
            "payouts_per_second", "bound_per_second", "ratio_to_bound", "in_flight_1_payouts_per_second",
            "ratio_to_in_flight_1",
        ],
        "memory": [
            "peak_rss_mib", "in_flight_at_peak", "completed", "at_200_peak_rss_mib", "at_200_in_flight_at_peak",
            "at_200_completed",
        ],
        "scaling": [
            "in_flight_4_payouts_per_second", "in_flight_16_payouts_per_second", "in_flight_16_ratio_to_bound",
            "in_flight_16_cpu_ms_per_payout",
        ],
        "scaling-processes": [
            "workers_1_payouts_per_second", "workers_2_payouts_per_second", "workers_2_speedup",
            "workers_2_worker_cpu_ms_per_payout", "workers_2_machine_cpu_ms_per_payout", "workers_2_cores_busy",
        ],
    ]

    @Test("--smoke --scenario all writes every scenario's figures as JSON")
    func smokeRunWritesEveryScenario() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let bench = try ChildProcess(
            ChildProcess.payoutLabBinary,
            arguments: ["bench", "--smoke", "--scenario", "all", "--json", file.path]
        )
        let status = try await bench.waitForExit(within: .seconds(300))
        let output = bench.stdoutLines.elements.joined(separator: "\n")
        try #require(status == 0, "bench failed:\n\(output)\n\(bench.stderr.suffix(3000))")

        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        let scenarios = try #require(object?["scenarios"] as? [String: [String: Any]])
        for (scenario, names) in Self.positiveFigures {
            let figures = try #require(scenarios[scenario], "no \(scenario) in the JSON")
            for name in names {
                let value = figures[name] as? Double ?? 0
                #expect(value > 0, "\(scenario).\(name) is \(value)")
            }
        }
        #expect(scenarios["duplicates"]?["sandbox_calls"] as? Double == 0, "a replayed command reached the sandbox")
        #expect(output.contains("latency-bound"))
    }

    @Test("--store postgres:// measures intake against a PostgreSQL store ceiling in the same database")
    func intakeOnPostgresHasItsStoreCeiling() async throws {
        let url = try await LocalPostgresServer.shared.createDatabase(prefix: "bench")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let bench = try ChildProcess(
            ChildProcess.payoutLabBinary,
            arguments: ["bench", "--smoke", "--scenario", "intake", "--store", url, "--json", file.path]
        )
        let status = try await bench.waitForExit(within: .seconds(300))
        try #require(
            status == 0,
            "bench failed:\n\(bench.stdoutLines.elements.joined(separator: "\n"))\n\(bench.stderr.suffix(3000))"
        )

        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        let intake = try #require((object?["scenarios"] as? [String: [String: Any]])?["intake"])
        for name in ["commands_per_second", "store_ceiling_commands_per_second", "ratio_to_ceiling"] {
            let value = intake[name] as? Double ?? 0
            #expect(value > 0, "intake.\(name) is \(value)")
        }
        #expect(((intake["notes"] as? [String]) ?? []).contains { $0.contains("postgres-nio") })
    }
}
