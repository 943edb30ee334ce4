import Foundation

/// end-to-end: fresh payouts through the whole flow (intake, fee, hold, session, execute, poll,
/// ledger, outbox, status event) against the sandbox with no added latency; timed to the final
/// event on the status topic as a subscriber reads it.
enum EndToEndScenario {
    static func run(environment: BenchEnvironment, payouts: Int, warmUp: Int) async throws -> BenchFigures {
        environment.sandbox.sandbox.updateFaults {
            $0.latencyMs = 0
            $0.pendingMs = 0
            $0.processingMs = 0
        }
        let run = try await RuntimeRun(environment: environment, name: "end-to-end") { configuration in
            configuration.engine.policy.pollInitialDelayMilliseconds = 5
            configuration.engine.policy.pollGrowthPercent = 100
            configuration.engine.policy.pollMaximumDelayMilliseconds = 5
        }
        do {
            let warm = try await run.measure(count: warmUp, timeout: .seconds(120))
            // The ceiling right before the burst, on payouts the sandbox now knows.
            let provider = try await ProviderCeiling.run(
                baseURL: environment.sandbox.baseURL,
                references: warm.references,
                maxConcurrent: run.configuration.dollr.maxConcurrentRequests,
                calls: max(2_000, payouts * 4)
            )
            let burst = try await run.measure(count: payouts, timeout: .seconds(600))
            try await run.stop()
            let latencies = burst.latenciesMs
            let callsPerPayout = Double(burst.sandboxCalls) / Double(payouts)
            let ceiling = callsPerPayout > 0 ? provider.perSecond / callsPerPayout : 0
            let rate = RunStatistics.rate(burst.finals, since: burst.started)
            return BenchFigures(
                scenario: "end-to-end",
                values: [
                    .init("payouts", Double(payouts), unit: ""),
                    .init("payouts_per_second", rate, unit: "/s"),
                    .init("provider_calls_per_second", provider.perSecond, unit: "/s"),
                    .init("ceiling_payouts_per_second", ceiling, unit: "/s"),
                    .init("ratio_to_ceiling", ceiling > 0 ? rate / ceiling : 0, unit: "x"),
                    .init(
                        "burst_payouts_per_second",
                        RunStatistics.burstRate(burst.finals, since: burst.started),
                        unit: "/s"
                    ),
                    .init("latency_p50_ms", RunStatistics.percentile(0.5, of: latencies), unit: "ms"),
                    .init("latency_p99_ms", RunStatistics.percentile(0.99, of: latencies), unit: "ms"),
                    .init("cpu_seconds_per_1000", burst.cpuSeconds * 1000 / Double(payouts), unit: "s"),
                    .init("sandbox_calls_per_payout", callsPerPayout, unit: ""),
                    .init("completed", Double(burst.completed), unit: ""),
                ],
                notes: burst.otherFinals.sorted { $0.key < $1.key }.map {
                    "end-to-end: \($0.value) payouts ended \($0.key)"
                } + [
                    "end-to-end: all payouts published at once; latency = publish start to final event read from the status topic, so p50 includes queueing behind the burst",
                    "end-to-end: the ceiling is the sandbox's calls/s to a plain AsyncHTTPClient loop (the worker's concurrency, status calls, right before the burst) divided by the calls a payout made",
                    "end-to-end: payouts/s is the steady rate from the 10th-percentile final event to the last; CPU is the whole process (worker, embedded broker and sandbox)",
                ]
            )
        } catch {
            try? await run.stop()
            throw error
        }
    }
}
