import Foundation

/// intake: the same records as raw, through validation and durable acceptance in the store (one
/// transaction per batch of 500), offsets stored after each batch and committed.
enum IntakeScenario {
    static func run(environment: BenchEnvironment, topics: LayerTopics, bench: IntakeBench, raw: Double?) async throws -> BenchFigures {
        let timing = try await pass("intake", environment: environment, topics: topics, bench: bench, expecting: .accepted)
        return BenchFigures(scenario: "intake", values: timing.figures(throughStore: true, raw: raw))
    }

    /// A warm-up pass, then the measured one, every record through intake with the outcome
    /// `expecting` (shared with the duplicates scenario, which replays the same topic).
    static func pass(
        _ name: String, environment: BenchEnvironment, topics: LayerTopics, bench: IntakeBench, expecting: IntakeBench.Expectation
    ) async throws -> TopicPass.Timing {
        _ = try await TopicPass.run(environment: environment, topic: topics.warmUp, group: "bench-\(name)-warmup", expected: topics.warmUpCount) {
            try await bench.intake($0, expecting: expecting)
        }
        return try await TopicPass.run(environment: environment, topic: topics.main, group: "bench-\(name)", expected: topics.mainCount) {
            try await bench.intake($0, expecting: expecting)
        }
    }
}
