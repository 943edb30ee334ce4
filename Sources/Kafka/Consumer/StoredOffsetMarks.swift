/// The highest offset this member has stored per partition, so that a later ``KafkaConsumer/storeOffsets(_:)``
/// call with older messages (a slow worker finishing late) cannot rewind what an earlier call stored:
/// librdkafka keeps whatever offset it was given last.
///
/// A mark lives only as long as the member owns the partition. A new ownership starts from the
/// group's committed offset, which may be below this member's old mark (the partition was lost
/// without a commit, say), and the messages read again from there must be storable.
struct StoredOffsetMarks {
    /// Next offset to read (stored offset) per partition.
    private var marks: [KafkaTopicPartition: Int64] = [:]

    /// The entries of `offsets` (next offset to read, per partition) that move their partition forward.
    func advancing(_ offsets: [KafkaTopicPartition: Int64]) -> [KafkaTopicPartition: Int64] {
        offsets.filter { partition, offset in offset > marks[partition, default: -1] }
    }

    /// Records offsets librdkafka accepted.
    mutating func record(_ partition: KafkaTopicPartition, _ offset: Int64) {
        marks[partition] = max(offset, marks[partition, default: -1])
    }

    /// Drops the marks of partitions whose ownership starts or ends.
    mutating func forget(_ partitions: Set<KafkaTopicPartition>) {
        for partition in partitions { marks[partition] = nil }
    }

    mutating func forgetAll() { marks = [:] }
}
