public import Kafka
import Synchronization

/// What this process saw lately, kept for the console: the consumer lag of its partitions and
/// the durations of its latest Dollr execute calls. The Prometheus histogram has only its
/// buckets; percentiles for a person to read need the calls themselves.
public final class RecentActivity: Sendable {
    /// Execute durations kept, newest replacing oldest.
    static let executeSamples = 1_000

    private struct State {
        var lag: [KafkaTopicPartition: Int64]?
        var executeMilliseconds: [Int64] = []
        var next = 0
    }

    private let state = Mutex(State())

    public init() {}

    func recordLag(_ lag: [KafkaTopicPartition: Int64]) {
        state.withLock { $0.lag = lag }
    }

    func recordExecute(_ duration: Duration) {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        state.withLock { state in
            if state.executeMilliseconds.count < Self.executeSamples {
                state.executeMilliseconds.append(milliseconds)
            } else {
                state.executeMilliseconds[state.next] = milliseconds
            }
            state.next = (state.next + 1) % Self.executeSamples
        }
    }

    /// Lag per assigned partition as last sampled; nil before the first sample.
    public var consumerLag: [KafkaTopicPartition: Int64]? { state.withLock { $0.lag } }

    /// Percentiles of the latest execute calls (nearest rank), in milliseconds; nil before any.
    public func executeLatency(percentiles: [Int] = [50, 90, 99]) -> [(percentile: Int, milliseconds: Int64)]? {
        let sorted = state.withLock { $0.executeMilliseconds }.sorted()
        guard !sorted.isEmpty else { return nil }
        return percentiles.map { percentile in
            let rank = max(1, (percentile * sorted.count + 99) / 100)
            return (percentile, sorted[min(rank, sorted.count) - 1])
        }
    }

    /// How many execute calls the percentiles are drawn from.
    public var executeSampleCount: Int { state.withLock { $0.executeMilliseconds.count } }
}
