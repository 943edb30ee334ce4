import Foundation
import Kafka

/// raw: the Kafka layer alone. Read the command topic and store each batch's offsets, nothing else.
/// Its ceiling, measured right before it on the same topic, is librdkafka under a plain C loop.
enum RawScenario {
    /// raw's figures, with the librdkafka ceiling's; intake divides by both.
    struct Result {
        var figures: BenchFigures
        var librdkafkaPerSecond: Double
        var perSecond: Double
    }

    static func run(environment: BenchEnvironment, topics: LayerTopics) async throws -> Result {
        _ = try await TopicPass.run(
            environment: environment,
            topic: topics.warmUp,
            group: "bench-raw-warmup",
            expected: topics.warmUpCount
        ) { _ in }
        let ceiling = try await LibrdkafkaCeiling.run(
            environment: environment,
            topic: topics.main,
            group: "bench-librdkafka",
            expected: topics.mainCount
        )
        let timing = try await TopicPass.run(
            environment: environment,
            topic: topics.main,
            group: "bench-raw",
            expected: topics.mainCount
        ) { _ in }
        let values =
            timing.figures(throughStore: false) + [
                .init("librdkafka_commands_per_second", ceiling.perSecond, unit: "/s"),
                .init("librdkafka_waiting_seconds", ceiling.waitingSeconds, unit: "s"),
                .init(
                    "ratio_to_librdkafka",
                    ceiling.perSecond > 0 ? timing.perSecond / ceiling.perSecond : 0,
                    unit: "x"
                ),
            ]
        return Result(
            figures: BenchFigures(
                scenario: "raw",
                values: values,
                notes: [
                    "raw: the ceiling is a plain C librdkafka consumer (same properties, fresh group, offsets stored per 500) on the same topic, run right before"
                ]
            ),
            librdkafkaPerSecond: ceiling.perSecond,
            perSecond: timing.perSecond
        )
    }
}

/// The pre-produced command topics shared by raw, intake and duplicates: a small warm-up topic and
/// the measured one.
struct LayerTopics {
    var warmUp: String
    var warmUpCount: Int
    var main: String
    var mainCount: Int

    static func produce(environment: BenchEnvironment, records: Int) async throws -> LayerTopics {
        let warmUpCount = max(100, records / 10)
        let warmUp = try await environment.topic("bench.commands.warmup")
        let main = try await environment.topic("bench.commands")
        try await environment.produce(BenchCommands.records(count: warmUpCount, topic: warmUp).records)
        try await environment.produce(BenchCommands.records(count: records, topic: main).records)
        return LayerTopics(warmUp: warmUp, warmUpCount: warmUpCount, main: main, mainCount: records)
    }
}
