import Foundation

/// duplicates: a replay storm. The same records again, after all of them were accepted: each one
/// must come back as a duplicate, with no Dollr call.
enum DuplicatesScenario {
    static func run(environment: BenchEnvironment, topics: LayerTopics, bench: IntakeBench, raw: Double?) async throws -> BenchFigures {
        _ = try await TopicPass.run(environment: environment, topic: topics.warmUp, group: "bench-duplicates-warmup", expected: topics.warmUpCount) {
            try await bench.intake($0, expecting: .duplicate)
        }
        let callsBefore = environment.sandbox.sandbox.counters.requests
        let timing = try await TopicPass.run(environment: environment, topic: topics.main, group: "bench-duplicates", expected: topics.mainCount) {
            try await bench.intake($0, expecting: .duplicate)
        }
        let calls = environment.sandbox.sandbox.counters.requests - callsBefore
        var values: [BenchFigures.Value] = [
            .init("records", Double(timing.records), unit: ""),
            .init("seconds", timing.seconds, unit: "s"),
            .init("commands_per_second", timing.perSecond, unit: "/s"),
            .init("cpu_seconds_per_1000", timing.cpuSecondsPer1000, unit: "s"),
            .init("waiting_for_kafka_seconds", timing.waitingSeconds, unit: "s"),
            .init("store_seconds", timing.bodySeconds, unit: "s"),
        ]
        if let raw, raw > 0 { values.append(.init("ratio_to_raw", timing.perSecond / raw, unit: "x")) }
        values.append(.init("sandbox_calls", Double(calls), unit: ""))
        return BenchFigures(scenario: "duplicates", values: values)
    }
}
