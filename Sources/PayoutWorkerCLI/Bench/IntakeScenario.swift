import Foundation

/// intake: the same records as raw, through validation and durable acceptance in the store (one
/// transaction per batch of 500), offsets stored after each batch and committed.
enum IntakeScenario {
    static func run(environment: BenchEnvironment, topics: LayerTopics, bench: IntakeBench, raw: Double?) async throws -> BenchFigures {
        _ = try await TopicPass.run(environment: environment, topic: topics.warmUp, group: "bench-intake-warmup", expected: topics.warmUpCount) {
            try await bench.intake($0, expecting: .accepted)
        }
        let timing = try await TopicPass.run(environment: environment, topic: topics.main, group: "bench-intake", expected: topics.mainCount) {
            try await bench.intake($0, expecting: .accepted)
        }
        var values: [BenchFigures.Value] = [
            .init("records", Double(timing.records), unit: ""),
            .init("seconds", timing.seconds, unit: "s"),
            .init("commands_per_second", timing.perSecond, unit: "/s"),
            .init("cpu_seconds_per_1000", timing.cpuSecondsPer1000, unit: "s"),
            .init("waiting_for_kafka_seconds", timing.waitingSeconds, unit: "s"),
            .init("store_seconds", timing.bodySeconds, unit: "s"),
        ]
        if let raw, raw > 0 { values.append(.init("ratio_to_raw", timing.perSecond / raw, unit: "x")) }
        return BenchFigures(scenario: "intake", values: values)
    }
}
