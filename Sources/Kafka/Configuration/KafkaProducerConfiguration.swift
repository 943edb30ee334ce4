/// How a ``KafkaProducer`` writes. Defaults favour safety: idempotent, `acks=all`, so a retried
/// batch is never written twice and an acknowledged record survives a broker failure.
public struct KafkaProducerConfiguration: Sendable {
    public var bootstrapServers: String
    /// `enable.idempotence`: retries cannot duplicate or reorder records within a partition.
    public var idempotent = true
    public var acks = "all"
    /// `linger.ms`: how long to wait to fill a batch; a few milliseconds buys most of the throughput.
    public var linger: Duration = .milliseconds(5)
    /// `partitioner`; `murmur2_random` places keys on the same partitions as the Java client does,
    /// so producers in other languages agree on which partition a key belongs to.
    public var partitioner = "murmur2_random"
    /// `message.timeout.ms`: how long librdkafka keeps retrying a record before it reports failure.
    public var deliveryTimeout: Duration = .seconds(30)
    /// How long ``KafkaProducer/close()`` waits for outstanding records to be delivered.
    public var closeTimeout: Duration = .seconds(10)
    public var pollTimeout: Duration = .milliseconds(100)
    /// `client.id`: how brokers name this client in their logs, quotas and metrics. `nil` keeps
    /// librdkafka's default (`rdkafka`); the application names itself here.
    public var clientID: String?
    /// librdkafka properties passed through verbatim; they win over the typed fields.
    public var properties: [String: String] = [:]

    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }

    /// Checks the configuration as ``KafkaProducer/init(configuration:logger:)`` would, without
    /// creating a producer, so an application can refuse a bad property before it opens anything else.
    public func validate() throws(KafkaError) {
        try RDKafkaConfig.check(librdkafkaProperties())
    }

    func librdkafkaProperties() -> [String: String] {
        var result: [String: String] = [
            "bootstrap.servers": bootstrapServers,
            "enable.idempotence": idempotent ? "true" : "false",
            "acks": acks,
            "linger.ms": String(linger.milliseconds),
            "partitioner": partitioner,
            "message.timeout.ms": String(deliveryTimeout.milliseconds),
        ]
        if let clientID { result["client.id"] = clientID }
        result.merge(properties) { _, passedThrough in passedThrough }
        return result
    }
}
