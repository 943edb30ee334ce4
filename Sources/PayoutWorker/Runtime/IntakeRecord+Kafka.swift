public import Kafka
public import PayoutEngine

extension IntakeRecord {
    /// A command record as intake hands it to the engine, with its place on the topic: the place
    /// lets the store answer a record read again after a crash or a rebalance with nothing. Its
    /// W3C `traceparent` and `tracestate` headers, if any, start the payout's trace.
    public init(_ message: KafkaMessage) {
        self.init(
            key: message.key,
            value: message.value,
            source: IntakeSource(
                stream: message.topicPartition.topic,
                partition: message.topicPartition.partition,
                offset: message.offset
            ),
            traceParent: message.headers.last(named: "traceparent")?.stringValue,
            traceState: message.headers.last(named: "tracestate")?.stringValue
        )
    }
}
