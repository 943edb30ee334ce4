/// How a ``KafkaConsumer`` joins its group and hands messages to the application.
///
/// Typed fields set the layer's defaults; ``properties`` passes any librdkafka property through
/// (TLS, SASL, timeouts, ...) and wins over the typed fields, except for the keys the at-least-once
/// contract depends on (see ``KafkaConsumer``).
public struct KafkaConsumerConfiguration: Sendable {
    /// `host:port[,host:port...]`.
    public var bootstrapServers: String
    public var groupID: String
    public var topics: [String]
    /// Static membership (`group.instance.id`): a restarted member with the same id gets its
    /// partitions back without a rebalance, within `session.timeout.ms`.
    public var groupInstanceID: String?
    /// `partition.assignment.strategy`; cooperative-sticky moves only the partitions that must move.
    public var assignmentStrategy = "cooperative-sticky"
    /// Where a partition without a committed offset starts.
    public var autoOffsetReset = "earliest"
    /// How often stored offsets are committed in the background (`auto.commit.interval.ms`).
    /// Offsets are also committed synchronously when partitions are revoked and on close.
    public var commitInterval: Duration = .seconds(5)
    /// How often librdkafka reports statistics, from which ``KafkaConsumer/lag`` is read.
    /// `nil` turns statistics (and lag) off.
    public var statisticsInterval: Duration? = .seconds(5)
    /// Messages held in memory ahead of the application. When full, the consumer pauses fetching
    /// (it keeps polling, so group membership and rebalances are still served) and resumes once
    /// the application has drained half of it.
    public var bufferCapacity = 10_000
    /// How long the poll thread blocks waiting for a message before it checks for work.
    public var pollTimeout: Duration = .milliseconds(100)
    /// The most a rebalance waits for the application's handler before it proceeds anyway.
    public var rebalanceHandlerTimeout: Duration = .seconds(30)
    /// librdkafka properties passed through verbatim.
    public var properties: [String: String] = [:]

    public init(bootstrapServers: String, groupID: String, topics: [String]) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
        self.topics = topics
    }

    /// Keys the consumer must own: with them changed, "an offset is stored only after the
    /// application says the message is done" would no longer hold.
    static let reservedKeys: [String: String] = [
        "enable.auto.offset.store": "offsets are stored only through KafkaConsumer.storeOffsets",
        "rebalance_cb": "rebalances are handled by the consumer",
    ]

    /// Checks the configuration as ``KafkaConsumer/init(configuration:logger:rebalanceHandler:)``
    /// would, without creating a consumer, so an application can refuse a bad property before it
    /// opens anything else.
    public func validate() throws(KafkaError) {
        try RDKafkaConfig.check(librdkafkaProperties())
    }

    func librdkafkaProperties() throws(KafkaError) -> [String: String] {
        for key in properties.keys {
            if let reason = Self.reservedKeys[key] { throw .configuration(key: key, reason: "cannot be overridden: \(reason)") }
        }
        guard !topics.isEmpty else { throw .configuration(key: "topics", reason: "at least one topic is required") }
        guard bufferCapacity >= 2 else { throw .configuration(key: "bufferCapacity", reason: "must be at least 2") }
        var result: [String: String] = [
            "bootstrap.servers": bootstrapServers,
            "group.id": groupID,
            "partition.assignment.strategy": assignmentStrategy,
            "auto.offset.reset": autoOffsetReset,
            "enable.auto.commit": "true",
            "auto.commit.interval.ms": String(commitInterval.milliseconds),
            "enable.auto.offset.store": "false",
            "enable.partition.eof": "false",
            "client.id": "payout-worker",
        ]
        if let groupInstanceID { result["group.instance.id"] = groupInstanceID }
        if let statisticsInterval { result["statistics.interval.ms"] = String(statisticsInterval.milliseconds) }
        result.merge(properties) { _, passedThrough in passedThrough }
        return result
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, as librdkafka's `*.ms` properties expect.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
