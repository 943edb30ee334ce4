import Kafka
import PayoutEngine

/// Builds dead-letter records: the original key and value untouched, plus headers that say why
/// and where from. Headers carry a reason code and a rule, never record content (which may hold a
/// phone number) or a secret.
enum DeadLetters {
    static let reasonHeader = "dlq.reason"
    static let detailHeader = "dlq.detail"
    static let topicHeader = "dlq.original.topic"
    static let partitionHeader = "dlq.original.partition"
    static let offsetHeader = "dlq.original.offset"
    static let workerHeader = "dlq.worker"

    static func record(for message: KafkaMessage, reason: PayoutReason.Code, detail: String, topic: String, worker: String) -> KafkaProducerRecord {
        var headers = message.headers
        headers.append(KafkaHeader(name: reasonHeader, string: reason.rawValue))
        headers.append(KafkaHeader(name: detailHeader, string: detail))
        headers.append(KafkaHeader(name: topicHeader, string: message.topic))
        headers.append(KafkaHeader(name: partitionHeader, string: String(message.partition)))
        headers.append(KafkaHeader(name: offsetHeader, string: String(message.offset)))
        headers.append(KafkaHeader(name: workerHeader, string: worker))
        return KafkaProducerRecord(topic: topic, key: message.key, value: message.value, headers: headers)
    }

    /// The dead-letter reason for an intake result, or `nil` when the record is answered otherwise.
    static func reason(for result: IntakeResult) -> (PayoutReason.Code, String)? {
        switch result {
        case .invalid(let rejection): (.validationError, rejection.description)
        case .conflict: (.idempotencyConflict, "reference_id already used by a payout with a different amount, currency or recipient")
        case .accepted, .duplicate, .rejected: nil
        }
    }
}
