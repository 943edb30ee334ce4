public import Kafka
public import PayoutEngine

/// Builds dead-letter records: the original key and value untouched, plus headers that say why
/// and where from. Headers carry a reason code and a rule, never record content (which may hold a
/// phone number) or a secret.
public enum DeadLetters {
    static let reasonHeader = "dlq.reason"
    static let detailHeader = "dlq.detail"
    static let topicHeader = "dlq.original.topic"
    static let partitionHeader = "dlq.original.partition"
    static let offsetHeader = "dlq.original.offset"
    static let workerHeader = "dlq.worker"

    static func record(
        for message: KafkaMessage,
        reason: PayoutReason.Code,
        detail: String,
        topic: String,
        worker: String
    ) -> KafkaProducerRecord {
        KafkaProducerRecord(
            topic: topic,
            key: message.key,
            value: message.value,
            headers: message.headers
                + headers(
                    reason: reason.rawValue,
                    detail: detail,
                    source: message.topicPartition,
                    offset: message.offset,
                    worker: worker
                )
        )
    }

    /// The dead letter a kept one stands for, as intake would have sent it.
    public static func record(resending letter: KeptDeadLetter, topic: String) -> KafkaProducerRecord {
        let source = KafkaTopicPartition(topic: letter.sourceTopic, partition: letter.sourcePartition)
        return KafkaProducerRecord(
            topic: topic,
            key: letter.key,
            value: letter.value,
            headers: letter.headers.map { KafkaHeader(name: $0.name, value: $0.value) }
                + headers(
                    reason: letter.reason,
                    detail: letter.detail,
                    source: source,
                    offset: letter.sourceOffset,
                    worker: letter.worker
                )
        )
    }

    private static func headers(
        reason: String,
        detail: String,
        source: KafkaTopicPartition,
        offset: Int64,
        worker: String
    ) -> [KafkaHeader] {
        [
            KafkaHeader(name: reasonHeader, string: reason),
            KafkaHeader(name: detailHeader, string: detail),
            KafkaHeader(name: topicHeader, string: source.topic),
            KafkaHeader(name: partitionHeader, string: String(source.partition)),
            KafkaHeader(name: offsetHeader, string: String(offset)),
            KafkaHeader(name: workerHeader, string: worker),
        ]
    }

    /// The dead-letter reason for an intake result, or `nil` when the record is answered otherwise.
    static func reason(for result: IntakeResult) -> (PayoutReason.Code, String)? {
        switch result {
        case .invalid(let rejection): (.validationError, rejection.description)
        case .conflict:
            (
                .idempotencyConflict,
                "reference_id already used by a payout with a different amount, currency or recipient"
            )
        case .accepted, .duplicate, .rejected, .redelivered: nil
        }
    }
}
