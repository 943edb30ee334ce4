internal import Crdkafka

/// Owning Swift view of `rd_kafka_topic_partition_list_t`. Every list librdkafka hands us
/// (`rd_kafka_assignment`, `rd_kafka_committed`, ...) must be destroyed: a leaked list makes
/// `rd_kafka_destroy` hang, so ownership is tied to this type's lifetime.
final class RDKafkaTopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int = 1) {
        pointer = rd_kafka_topic_partition_list_new(Int32(capacity))
    }

    /// Adopts a list returned by librdkafka.
    init(adopting pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
    }

    convenience init(_ partitions: some Collection<KafkaTopicPartition>) {
        self.init(capacity: partitions.count)
        for tp in partitions { add(tp) }
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    @discardableResult
    func add(_ tp: KafkaTopicPartition, offset: Int64? = nil) -> UnsafeMutablePointer<rd_kafka_topic_partition_t> {
        let element = rd_kafka_topic_partition_list_add(pointer, tp.topic, tp.partition)!
        if let offset { element.pointee.offset = offset }
        return element
    }

    var count: Int { Int(pointer.pointee.cnt) }

    /// Topic, partition, offset and per-partition error of every element.
    var elements: [(tp: KafkaTopicPartition, offset: Int64, error: rd_kafka_resp_err_t)] {
        (0..<count).map { index in
            let element = pointer.pointee.elems[index]
            return (
                KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition),
                element.offset, element.err
            )
        }
    }

    var partitions: Set<KafkaTopicPartition> { Set(elements.map(\.tp)) }

    /// Wraps a list librdkafka passes to a callback without transferring ownership.
    static func partitions(
        borrowing list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) -> Set<KafkaTopicPartition> {
        guard let list else { return [] }
        var result = Set<KafkaTopicPartition>()
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            result.insert(KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition))
        }
        return result
    }
}
