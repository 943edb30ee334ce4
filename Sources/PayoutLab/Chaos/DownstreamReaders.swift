import Foundation
import Kafka
import Logging
import PayoutWorker
import Synchronization

/// Plain consumers on the status and dead-letter topics, as downstream subscribers read them.
/// Optionally keeps what they read (status events whole; dead letters' headers only, since their
/// value is the upstream record as it was sent) for the artifacts directory.
final class DownstreamReaders: Sendable {
    let observer = DownstreamObserver()
    private let consumers: [KafkaConsumer]
    private let tasks: [Task<Void, any Error>]
    private let kept: KeptRecords?

    init(bootstrapServers: String, topics: WorkerConfiguration.Kafka, keepRecords: Bool, logger: Logger) throws {
        // A short session: after a broker outage the group waits out the old member's session
        // before it rebalances, and the default 45 s would stall the readers that long.
        func reader(_ group: String, _ topic: String) throws -> KafkaConsumer {
            var configuration = KafkaConsumerConfiguration(
                bootstrapServers: bootstrapServers,
                groupID: group,
                topics: [topic]
            )
            configuration.properties = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
            return try KafkaConsumer(configuration: configuration, logger: logger)
        }
        let status = try reader("chaos-status-reader", topics.statusTopic)
        let deadLetters = try reader("chaos-dlq-reader", topics.deadLetterTopic)
        let kept = keepRecords ? KeptRecords() : nil
        let observer = observer
        consumers = [status, deadLetters]
        self.kept = kept
        tasks = [
            Task {
                for try await message in status.messages {
                    observer.observeStatus(message)
                    kept?.lines.withLock { $0.status.append(Self.line(message, withValue: true)) }
                }
            },
            Task {
                for try await message in deadLetters.messages {
                    observer.observeDeadLetter(message)
                    kept?.lines.withLock { $0.deadLetters.append(Self.line(message, withValue: false)) }
                }
            },
        ]
    }

    func close() async {
        for consumer in consumers { await consumer.close() }
        for task in tasks { _ = try? await task.value }
    }

    /// Writes `status-events.jsonl` and `dead-letter-headers.jsonl` if records were kept.
    func writeRecords(to directory: URL) throws {
        guard let kept = kept?.lines.withLock({ $0 }) else { return }
        try Data((kept.status.joined(separator: "\n") + "\n").utf8).write(
            to: directory.appendingPathComponent("status-events.jsonl")
        )
        try Data((kept.deadLetters.joined(separator: "\n") + "\n").utf8).write(
            to: directory.appendingPathComponent("dead-letter-headers.jsonl")
        )
    }

    private static func line(_ message: KafkaMessage, withValue: Bool) -> String {
        var object: [String: Any] = [
            "partition": Int(message.partition), "offset": message.offset,
            "headers": message.headers.map { [$0.name: $0.stringValue ?? ""] },
        ]
        if withValue, let value = message.value { object["value"] = String(decoding: value, as: UTF8.self) }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

final class KeptRecords: Sendable {
    let lines = Mutex<(status: [String], deadLetters: [String])>(([], []))
}

/// Progress on stderr: a line when something happens, and the count of answers every few seconds.
final class ChaosProgress: Sendable {
    private let started: ContinuousClock.Instant
    private let lastTick: Mutex<ContinuousClock.Instant>

    init(started: ContinuousClock.Instant) {
        self.started = started
        self.lastTick = Mutex(started)
    }

    func say(_ text: String) {
        let seconds = (ContinuousClock.now - started).components.seconds
        FileHandle.standardError.write(Data("[\(seconds)s] \(text)\n".utf8))
    }

    func tick(_ snapshot: DownstreamObserver.Snapshot, workload: CommandWorkload) {
        let due = lastTick.withLock { last in
            guard ContinuousClock.now - last >= .seconds(5) else { return false }
            last = .now
            return true
        }
        guard due else { return }
        let payouts = workload.uniquePayouts.filter { snapshot.finals[$0.referenceID] != nil }.count
        say(
            "\(payouts)/\(workload.count(.payout)) payouts final, \(snapshot.events) events, \(snapshot.deadLetters) dead letters"
        )
    }
}
