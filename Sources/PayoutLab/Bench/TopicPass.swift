import CommandSupport
import EmbeddedKafka
import Foundation
import Kafka
import Logging

/// One pass over a pre-produced topic by a fresh consumer group: every batch goes through `body`,
/// then its offsets are stored; the stored offsets are committed at the end. The clock starts at
/// the first batch, so the group join (about 3 s in the embedded broker) is not measured.
enum TopicPass {
    struct Timing {
        var records: Int
        var seconds: Double
        /// Of `seconds`: waiting for the next batch from the consumer, and inside `body`.
        var waitingSeconds: Double = 0
        var bodySeconds: Double = 0
        /// CPU seconds of the whole process (consumer, store, embedded broker) over the same span.
        var cpuSeconds: Double = 0
        var cpuSecondsPer1000: Double { records > 0 ? cpuSeconds * 1000 / Double(records) : 0 }
        var perSecond: Double { seconds > 0 ? Double(records) / seconds : 0 }

        /// What every pass over the command topic reports; a pass through the store adds the time
        /// spent in it and its ratio to `raw`.
        func figures(throughStore: Bool, raw: Double? = nil) -> [BenchFigures.Value] {
            var values: [BenchFigures.Value] = [
                .init("records", Double(records), unit: ""),
                .init("seconds", seconds, unit: "s"),
                .init("commands_per_second", perSecond, unit: "/s"),
                .init("cpu_seconds_per_1000", cpuSecondsPer1000, unit: "s"),
                .init("waiting_for_kafka_seconds", waitingSeconds, unit: "s"),
            ]
            guard throughStore else { return values }
            values.append(.init("store_seconds", bodySeconds, unit: "s"))
            if let raw, raw > 0 { values.append(.init("ratio_to_raw", perSecond / raw, unit: "x")) }
            return values
        }
    }

    /// The consumer every pass uses; the librdkafka ceiling hands its properties to a plain C loop.
    static func consumerConfiguration(
        environment: BenchEnvironment,
        topic: String,
        group: String,
        batchSize: Int
    ) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: environment.cluster.bootstrapServers,
            groupID: group,
            topics: [topic]
        )
        // As the runtime sizes it: 4 x intake_batch_size.
        configuration.bufferCapacity = environment.consumerBuffer ?? max(2, batchSize * 4)
        configuration.statisticsInterval = nil
        return configuration
    }

    static func run(
        environment: BenchEnvironment,
        topic: String,
        group: String,
        expected: Int,
        batchSize: Int = 500,
        body: ([KafkaMessage]) async throws -> Void
    ) async throws -> Timing {
        let configuration = consumerConfiguration(
            environment: environment,
            topic: topic,
            group: group,
            batchSize: batchSize
        )
        let consumer = try KafkaConsumer(configuration: configuration, logger: environment.logger)
        var seen = 0
        var started: ContinuousClock.Instant?
        var cpuAtStart = 0.0
        var waiting = Duration.zero
        var inBody = Duration.zero
        do {
            while seen < expected {
                let asked = ContinuousClock.now
                let batch = try await consumer.nextBatch(maxCount: batchSize)
                if batch.isEmpty { break }
                let received = ContinuousClock.now
                if started == nil {
                    started = received
                    cpuAtStart = ProcessUsage.cpuSeconds()
                } else {
                    waiting += received - asked
                }
                try await body(batch)
                inBody += ContinuousClock.now - received
                try consumer.storeOffsets(batch)
                seen += batch.count
            }
            try await consumer.commit()
        } catch {
            await consumer.close()
            throw error
        }
        let elapsed = started.map { ContinuousClock.now - $0 } ?? .zero
        let cpu = ProcessUsage.cpuSeconds() - cpuAtStart
        await consumer.close()
        guard seen == expected else { throw CommandFailure("\(topic): read \(seen) records, expected \(expected)") }
        return Timing(
            records: seen,
            seconds: elapsed.seconds,
            waitingSeconds: waiting.seconds,
            bodySeconds: inBody.seconds,
            cpuSeconds: cpu
        )
    }
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
