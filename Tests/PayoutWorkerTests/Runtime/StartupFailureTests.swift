import Foundation
import Kafka
import LocalPostgres
import PayoutWorker
import TestSupport
import Testing

/// A worker that cannot start leaves nothing behind: no store file, no process.
@Suite("Worker start-up: nothing half-starts")
struct StartupFailureTests {
    @Test(
        "a librdkafka property the runtime refuses stops it before the store is created",
        arguments: [
            ("properties", "no.such.property"), ("consumer_properties", "enable.auto.offset.store"),
            ("producer_properties", "linger.ms"),
        ]
    )
    func badKafkaPropertyCreatesNoStore(map: String, property: String) async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var configuration = WorkerConfiguration()
        configuration.storeURL = "sqlite://\(scratch.path("payouts.db"))"
        configuration.admin.port = 0
        switch map {
        case "properties": configuration.kafka.properties[property] = "1"
        case "consumer_properties": configuration.kafka.consumerProperties[property] = "true"
        default: configuration.kafka.producerProperties[property] = "soon"
        }
        let error = try await #require(throws: KafkaError.self) {
            _ = try await PayoutWorkerRuntime(configuration: configuration, logger: quietLogger, handleSignals: false)
        }
        guard case .configuration(let key, _) = error else {
            Issue.record("\(error)")
            return
        }
        #expect(key == property)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty, "no store file, no WAL")
    }

    @Test("payout-worker run with a bad librdkafka property exits 78 naming the variable, before creating its store")
    func processRefusesBadProperty() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let process = try ChildProcess(
            ChildProcess.payoutWorkerBinary,
            arguments: ["run"],
            environment: [
                "PAYOUT_STORE_URL": "sqlite://\(scratch.path("payouts.db"))",
                "PAYOUT_ADMIN_PORT": "\(try LoopbackPort.free())",
                "PAYOUT_KAFKA_PROPERTY_QUEUE_BUFFERING_MAX_MS": "soon",
            ]
        )
        #expect(try await process.waitForExit(within: .seconds(30)) == 78, "\(process.stderr)")
        #expect(process.stderr.contains("PAYOUT_KAFKA_PROPERTY_QUEUE_BUFFERING_MAX_MS"), "\(process.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty, "no store file")
    }
}
