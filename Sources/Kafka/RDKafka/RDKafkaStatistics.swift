import Foundation

/// Reads the parts of librdkafka's statistics JSON (`statistics.interval.ms`) that we export.
/// Reference: librdkafka STATISTICS.md; only the fields used here are decoded.
enum RDKafkaStatistics {
    private struct Root: Decodable {
        var topics: [String: Topic]?
    }

    private struct Topic: Decodable {
        var partitions: [String: Partition]
    }

    private struct Partition: Decodable {
        var partition: Int32
        /// High watermark (or last stable offset) minus the committed offset; -1 when unknown.
        var consumer_lag: Int64
        var fetch_state: String?
    }

    /// Consumer lag per partition, for partitions whose lag librdkafka knows.
    static func consumerLag(fromJSON json: String) -> [KafkaTopicPartition: Int64]? {
        guard let root = try? JSONDecoder().decode(Root.self, from: Data(json.utf8)) else { return nil }
        var lag: [KafkaTopicPartition: Int64] = [:]
        for (topic, stats) in root.topics ?? [:] {
            for partition in stats.partitions.values where partition.partition >= 0 && partition.consumer_lag >= 0 {
                lag[KafkaTopicPartition(topic: topic, partition: partition.partition)] = partition.consumer_lag
            }
        }
        return lag
    }
}
