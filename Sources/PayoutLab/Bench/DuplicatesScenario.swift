import Foundation

/// duplicates: a replay storm. The same commands again, after all of them were accepted, as if
/// upstream published them anew (other places, so not redeliveries): each one must come back as
/// a duplicate, with no Dollr call.
enum DuplicatesScenario {
    static func run(
        environment: BenchEnvironment,
        topics: LayerTopics,
        bench: IntakeBench,
        raw: Double?
    ) async throws -> BenchFigures {
        let callsBefore = environment.sandbox.sandbox.counters.requests
        let timing = try await IntakeScenario.pass(
            "duplicates",
            environment: environment,
            topics: topics,
            bench: bench,
            expecting: .duplicate
        )
        let calls = environment.sandbox.sandbox.counters.requests - callsBefore
        let values = timing.figures(throughStore: true, raw: raw) + [.init("sandbox_calls", Double(calls), unit: "")]
        return BenchFigures(scenario: "duplicates", values: values)
    }
}
