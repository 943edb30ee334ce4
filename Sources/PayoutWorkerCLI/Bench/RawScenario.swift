import Foundation
import Kafka

/// raw: the Kafka layer alone. Read the command topic and store each batch's offsets, nothing else:
/// the ceiling every intake figure is divided by.
enum RawScenario {
    static func run(environment: BenchEnvironment, topics: LayerTopics) async throws -> BenchFigures {
        _ = try await TopicPass.run(environment: environment, topic: topics.warmUp, group: "bench-raw-warmup", expected: topics.warmUpCount) { _ in }
        let timing = try await TopicPass.run(environment: environment, topic: topics.main, group: "bench-raw", expected: topics.mainCount) { _ in }
        return BenchFigures(scenario: "raw", values: timing.figures(throughStore: false))
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
