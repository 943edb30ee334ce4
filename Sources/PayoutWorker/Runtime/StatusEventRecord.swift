import CivilTime
public import Kafka
public import PayoutEngine

/// A status event as a Kafka record in the CloudEvents Kafka binding, binary mode: the event body
/// is the value, attributes are `ce_`-prefixed headers, the key is the reference_id (so all events
/// of a payout land on one partition, in order). `ce_traceparent` (the CloudEvents distributed
/// tracing extension) is the payout's trace, when one is known.
public enum StatusEventRecord {
    public static let type = "payout.status.v1"

    public static func record(_ event: StoredEvent, topic: String, source: String) -> KafkaProducerRecord {
        var record = KafkaProducerRecord(
            topic: topic,
            key: Array(event.referenceID.utf8),
            value: Array(event.payload.utf8),
            headers: [
                KafkaHeader(name: "ce_specversion", string: "1.0"),
                KafkaHeader(name: "ce_id", string: event.eventID),
                KafkaHeader(name: "ce_type", string: type),
                KafkaHeader(name: "ce_source", string: source),
                KafkaHeader(name: "ce_time", string: Timestamp.rfc3339(milliseconds: event.occurredAt)),
                KafkaHeader(name: "ce_subject", string: event.referenceID),
                KafkaHeader(name: "content-type", string: "application/json"),
            ]
        )
        if let traceParent = event.traceParent {
            record.headers.append(KafkaHeader(name: "ce_traceparent", string: traceParent))
        }
        return record
    }
}
