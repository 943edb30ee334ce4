import Foundation
import Kafka
import PayoutEngine

/// intake: the same records as raw, through validation and durable acceptance in the store (one
/// transaction per batch of 500), offsets stored after each batch and committed. Its ceiling is
/// the slower of librdkafka (raw's ceiling) and the store alone writing the same rows
/// (``SQLiteStoreCeiling``, measured right after the pass on the rows it wrote).
enum IntakeScenario {
    static func run(
        environment: BenchEnvironment,
        topics: LayerTopics,
        bench: IntakeBench,
        raw: RawScenario.Result
    ) async throws -> BenchFigures {
        let timing = try await pass(
            "intake",
            environment: environment,
            topics: topics,
            bench: bench,
            expecting: .accepted
        )
        var values = timing.figures(throughStore: true, raw: raw.perSecond)
        var notes: [String] = []
        let store = try await storeCeiling(environment: environment, topics: topics)
        let ceiling = min(raw.librdkafkaPerSecond, store.perSecond)
        values += [
            .init("store_ceiling_commands_per_second", store.perSecond, unit: "/s"),
            .init("ratio_to_ceiling", ceiling > 0 ? timing.perSecond / ceiling : 0, unit: "x"),
        ]
        if environment.storeOverride == nil {
            notes.append(
                "intake: the ceiling is min(librdkafka, store); the store ceiling writes the same rows (payout, event, outbox) through the SQLite C API in the same 500-row transactions, right after the pass"
            )
        } else {
            notes.append(
                "intake: the ceiling is min(librdkafka, store); the store ceiling writes the same rows (payout, event, outbox) from a plain postgres-nio connection, one set-based insert per table in the same 500-row transactions, right after the pass"
            )
        }
        return BenchFigures(scenario: "intake", values: values, notes: notes)
    }

    /// The store ceiling over the rows intake just wrote.
    private static func storeCeiling(
        environment: BenchEnvironment,
        topics: LayerTopics
    ) async throws -> StoreCeilingTiming {
        let url = environment.storeURL(for: "intake")
        if environment.storeOverride != nil {
            return try await PostgresStoreCeiling.run(
                url: url,
                warmUpTopic: topics.warmUp,
                topic: topics.main,
                logger: environment.logger
            )
        }
        let source = environment.directory.appendingPathComponent("intake.db").path
        let target = environment.directory.appendingPathComponent("store-ceiling.db").path
        let store = try await PayoutStoreFactory.open(url: "sqlite://\(target)", logger: environment.logger)
        try await store.migrate()
        await store.close()
        let result = await Blocking.run("bench-sqlite") {
            Result { () throws(SQLiteCeilingError) -> StoreCeilingTiming in
                try SQLiteStoreCeiling.run(
                    source: source,
                    target: target,
                    skip: topics.warmUpCount,
                    count: topics.mainCount
                )
            }
        }
        return try result.get()
    }

    /// A warm-up pass, then the measured one, every record through intake with the outcome
    /// `expecting` (shared with the duplicates scenario, which replays the same topic).
    static func pass(
        _ name: String,
        environment: BenchEnvironment,
        topics: LayerTopics,
        bench: IntakeBench,
        expecting: IntakeBench.Expectation
    ) async throws -> TopicPass.Timing {
        _ = try await TopicPass.run(
            environment: environment,
            topic: topics.warmUp,
            group: "bench-\(name)-warmup",
            expected: topics.warmUpCount
        ) {
            try await bench.intake($0, expecting: expecting)
        }
        return try await TopicPass.run(
            environment: environment,
            topic: topics.main,
            group: "bench-\(name)",
            expected: topics.mainCount
        ) {
            try await bench.intake($0, expecting: expecting)
        }
    }
}
