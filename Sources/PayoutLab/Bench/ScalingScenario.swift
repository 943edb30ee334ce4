import Foundation

/// scaling: latency-bound's workload at growing in-flight limits, to show where one worker stops
/// gaining from more concurrency. Each limit L gets a burst of 8 x L payouts (so every run's
/// bound is the slots' N x S / L, not T) through a fresh worker; each row reports the rate, its
/// bound, the ratio and the CPU per payout, whose growth shows what the extra payouts cost.
enum ScalingScenario {
    static func run(environment: BenchEnvironment, limits: [Int]) async throws -> BenchFigures {
        LatencyBoundScenario.setLatency(environment)
        defer { LatencyBoundScenario.clearLatency(environment) }
        var values: [BenchFigures.Value] = []
        for limit in limits {
            let payouts = 8 * limit
            let result = try await LatencyBoundScenario.measure(
                environment: environment,
                name: "scaling-\(limit)",
                inFlight: limit,
                payouts: payouts,
                warmUp: min(limit, 200)
            )
            let bound = LatencyBoundScenario.burstBound(
                payouts: payouts,
                inFlight: limit,
                slot: LatencyBoundScenario.slotSeconds,
                perPayout: LatencyBoundScenario.perPayoutSeconds
            )
            values += [
                .init("in_flight_\(limit)_payouts_per_second", result.rate, unit: "/s"),
                .init("in_flight_\(limit)_bound_per_second", bound, unit: "/s"),
                .init("in_flight_\(limit)_ratio_to_bound", result.rate / bound, unit: "x"),
                .init("in_flight_\(limit)_cpu_ms_per_payout", result.cpuPerPayout * 1000, unit: "ms"),
            ]
        }
        return BenchFigures(
            scenario: "scaling",
            values: values,
            notes: [
                "scaling: latency-bound's sandbox (100 ms calls, 1 s processing) at each in-flight limit L, a burst of 8 x L payouts; CPU is the whole bench process (worker, broker, sandbox)"
            ]
        )
    }
}
