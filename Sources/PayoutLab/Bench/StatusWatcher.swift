import CommandSupport
import EmbeddedKafka
import Foundation
import Kafka
import Logging
import Synchronization

/// Reads a status topic with a plain consumer, as a downstream subscriber would, and records when
/// each payout's final event (COMPLETED, FAILED, REJECTED, REQUIRES_REVIEW) arrived.
final class StatusWatcher: Sendable {
    struct State {
        var finals: [String: ContinuousClock.Instant] = [:]
        var completed = 0
        var accepted = 0
        /// Final events other than COMPLETED, by status and reason code.
        var otherFinals: [String: Int] = [:]
        /// ACCEPTED events seen when the first final event arrived.
        var acceptedAtFirstFinal: Int?
    }

    private final class Box: Sendable { let state = Mutex(State()) }
    private let box = Box()
    private let consumer: KafkaConsumer
    private let reader: Task<Void, Never>

    init(environment: BenchEnvironment, topic: String) throws {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: environment.cluster.bootstrapServers,
            groupID: "\(topic)-watcher",
            topics: [topic]
        )
        configuration.statisticsInterval = nil
        configuration.properties["fetch.wait.max.ms"] = "10"
        let consumer = try KafkaConsumer(configuration: configuration, logger: environment.logger)
        self.consumer = consumer
        let box = self.box
        reader = Task {
            while let batch = try? await consumer.nextBatch(maxCount: 1_000), !batch.isEmpty {
                let now = ContinuousClock.now
                let parsed = batch.compactMap { message -> (String, String)? in
                    guard let value = message.value,
                        let object = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any],
                        let reference = object["reference_id"] as? String, let status = object["status"] as? String
                    else { return nil }
                    let reason = (object["reason"] as? [String: Any])?["code"] as? String
                    return (reference, reason.map { "\(status) \($0)" } ?? status)
                }
                box.state.withLock { state in
                    for (reference, status) in parsed {
                        switch String(status.prefix { $0 != " " }) {
                        case "ACCEPTED": state.accepted += 1
                        case "COMPLETED", "FAILED", "REJECTED", "REQUIRES_REVIEW":
                            if state.acceptedAtFirstFinal == nil { state.acceptedAtFirstFinal = state.accepted }
                            if state.finals[reference] == nil {
                                state.finals[reference] = now
                                if status == "COMPLETED" {
                                    state.completed += 1
                                } else {
                                    state.otherFinals[status, default: 0] += 1
                                }
                            }
                        default: break
                        }
                    }
                }
            }
        }
    }

    var snapshot: State { box.state.withLock { $0 } }

    /// Waits until every reference has a final event; fails at the timeout, or as soon as
    /// `abandon` names a reason to stop waiting (the process doing the work has died).
    func waitForFinals(
        of references: [String],
        timeout: Duration,
        abandon: () -> String? = { nil }
    ) async throws -> [ContinuousClock.Instant] {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let reason = abandon() { throw CommandFailure(reason) }
            let (times, missing) = box.state.withLock { state -> ([ContinuousClock.Instant], Int) in
                let times = references.compactMap { state.finals[$0] }
                return (times, references.count - times.count)
            }
            if missing == 0 { return times }
            if ContinuousClock.now > deadline {
                throw CommandFailure("\(missing) of \(references.count) payouts had no final event after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func close() async {
        await consumer.close()
        await reader.value
    }
}
