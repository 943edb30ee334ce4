import Foundation

/// latency-bound: every sandbox call takes 100 ms and an execution stays PROCESSING for 1 s. With
/// the first status poll configured at exactly the processing time, a payout needs
/// T = 5 calls x 100 ms (fee prediction, account, session, execute, status) + 1,000 ms = 1.5 s, so a worker
/// that keeps L payouts moving is bounded by L / T. A payout waiting for its poll is parked and
/// holds no in-flight slot, so the slots themselves allow up to L / (5 x 100 ms); both are reported.
enum LatencyBoundScenario {
    static let latencyMs = 100
    static let processingMs = 1_000
    static let callsPerPayout = 5

    static func run(
        environment: BenchEnvironment,
        inFlight: Int,
        payouts: Int,
        singlePayouts: Int
    ) async throws -> BenchFigures {
        setLatency(environment)
        defer { clearLatency(environment) }
        let wide = try await measure(
            environment: environment,
            name: "latency-bound",
            inFlight: inFlight,
            payouts: payouts,
            warmUp: min(inFlight, 200)
        )
        let single = try await measure(
            environment: environment,
            name: "latency-bound-1",
            inFlight: 1,
            payouts: singlePayouts,
            warmUp: 1
        )
        let holdBound = Double(inFlight) / perPayoutSeconds
        let bound = burstBound(payouts: payouts, inFlight: inFlight, slot: slotSeconds, perPayout: perPayoutSeconds)
        let singleBound = burstBound(
            payouts: singlePayouts,
            inFlight: 1,
            slot: slotSeconds,
            perPayout: perPayoutSeconds
        )
        return BenchFigures(
            scenario: "latency-bound",
            values: [
                .init("in_flight_limit", Double(inFlight), unit: ""),
                .init("payouts", Double(payouts), unit: ""),
                .init("payouts_per_second", wide.rate, unit: "/s"),
                .init("bound_per_second", bound, unit: "/s"),
                .init("ratio_to_bound", wide.rate / bound, unit: "x"),
                .init("hold_bound_per_second", holdBound, unit: "/s"),
                .init("ratio_to_hold_bound", wide.rate / holdBound, unit: "x"),
                .init("latency_p50_ms", wide.p50, unit: "ms"),
                .init("sandbox_calls_per_payout", wide.callsPerPayout, unit: ""),
                .init("in_flight_1_payouts_per_second", single.rate, unit: "/s"),
                .init("in_flight_1_bound_per_second", singleBound, unit: "/s"),
                .init("ratio_to_in_flight_1", single.rate > 0 ? wide.rate / single.rate : 0, unit: "x"),
            ],
            notes: [
                "latency-bound: a payout takes T = \(callsPerPayout) calls x \(latencyMs) ms + \(processingMs) ms processing (first poll at \(processingMs) ms) = \(perPayoutSeconds) s, "
                    + "and holds an in-flight slot only during its calls, S = \(slotSeconds) s (waiting for its poll it is parked). "
                    + "bound = N / max(N x S / L, T) for a burst of N payouts with limit L; hold bound = L / T, what a worker holding the slot for the whole payout could reach. "
                    + "Rates are N / (first command published to last final event)."
            ]
        )
    }

    static func setLatency(_ environment: BenchEnvironment) {
        environment.sandbox.sandbox.updateFaults {
            $0.latencyMs = latencyMs
            $0.pendingMs = 0
            $0.processingMs = processingMs
        }
    }

    static func clearLatency(_ environment: BenchEnvironment) {
        environment.sandbox.sandbox.updateFaults {
            $0.latencyMs = 0
            $0.processingMs = 0
        }
    }

    static var perPayoutSeconds: Double { Double(callsPerPayout * latencyMs + processingMs) / 1000 }
    static var slotSeconds: Double { Double(callsPerPayout * latencyMs) / 1000 }

    /// A ceiling for a burst of `payouts`: the L slots must work through N x S seconds of calls, and
    /// no payout finishes in less than T, so the burst takes at least max(N x S / L, T).
    static func burstBound(payouts: Int, inFlight: Int, slot: Double, perPayout: Double) -> Double {
        let seconds = max(Double(payouts) * slot / Double(inFlight), perPayout)
        return Double(payouts) / seconds
    }

    struct Result {
        var rate: Double
        var p50: Double
        var callsPerPayout: Double
        /// CPU seconds of the whole process per payout of the burst.
        var cpuPerPayout: Double
    }

    /// Runs a worker with this in-flight limit under the scenario's latency (set by the caller).
    static func measure(
        environment: BenchEnvironment,
        name: String,
        inFlight: Int,
        payouts: Int,
        warmUp: Int
    ) async throws -> Result {
        let run = try await RuntimeRun(environment: environment, name: name) { configuration in
            configuration.engine.maximumInFlight = inFlight
            configuration.dollr.maxConcurrentRequests = max(inFlight, 1)
            configuration.engine.policy.pollInitialDelayMilliseconds = Int64(processingMs)
            configuration.engine.policy.pollGrowthPercent = 100
            configuration.engine.policy.pollMaximumDelayMilliseconds = Int64(processingMs)
        }
        do {
            _ = try await run.measure(count: warmUp, timeout: .seconds(120))
            let burst = try await run.measure(count: payouts, timeout: .seconds(600))
            try await run.stop()
            return Result(
                rate: RunStatistics.burstRate(burst.finals, since: burst.started),
                p50: RunStatistics.percentile(0.5, of: burst.latenciesMs),
                callsPerPayout: Double(burst.sandboxCalls) / Double(payouts),
                cpuPerPayout: burst.cpuSeconds / Double(payouts)
            )
        } catch {
            try? await run.stop()
            throw error
        }
    }
}
