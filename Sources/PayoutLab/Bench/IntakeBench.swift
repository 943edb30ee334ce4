import CommandSupport
import DollrClient
import Foundation
import Kafka
import PayoutEngine
import PayoutWorker

/// The store and engine that intake and duplicates drive directly through `PayoutEngine.intake`,
/// exactly as the runtime's intake does (one store transaction per batch of 500), without the
/// runtime around it. The engine never runs, so nothing here calls Dollr.
final class IntakeBench: Sendable {
    let store: any PayoutStore
    let engine: PayoutEngine
    private let dollr: DollrClient

    init(environment: BenchEnvironment) async throws {
        let store = try await PayoutStoreFactory.open(
            url: environment.storeURL(for: "intake"),
            logger: environment.logger
        )
        try await store.migrate()
        self.store = store
        let defaults = WorkerConfigurationDefaults.dollr(baseURL: environment.sandbox.baseURL)
        dollr = DollrClient(configuration: defaults, logger: environment.logger)
        engine = PayoutEngine(
            store: store,
            dollr: dollr,
            configuration: EngineConfiguration(owner: "bench"),
            logger: environment.logger
        )
    }

    /// Records one batch and checks that every record got the expected kind of result.
    func intake(_ batch: [KafkaMessage], expecting expected: Expectation) async throws {
        // With each record's place, as the runtime's intake passes it. Duplicates stand for the same
        // commands published again upstream, at other places: each is answered as a duplicate (its
        // place looked up and recorded, its latest event enqueued), not as a redelivery.
        let results = try await engine.intake(
            batch.map { message in
                var record = IntakeRecord(message)
                if expected == .duplicate { record.source?.stream += ".republished" }
                return record
            }
        )
        for result in results {
            switch (result, expected) {
            case (.accepted, .accepted), (.duplicate, .duplicate): continue
            default: throw CommandFailure("intake answered \(result), expected \(expected)")
            }
        }
    }

    enum Expectation { case accepted, duplicate }

    func close() async {
        try? await dollr.shutdown()
        await store.close()
    }
}

enum WorkerConfigurationDefaults {
    static func dollr(baseURL: URL) -> DollrConfiguration {
        DollrConfiguration(
            baseURL: baseURL,
            credentials: MerchantCredentials.sandboxDefaults,
            connectTimeout: .seconds(5),
            requestTimeout: .seconds(30),
            maxConcurrentRequests: 256
        )
    }
}
