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
    /// How often stored offsets are committed in the background (`auto.commit.interval.ms`, with
    /// `enable.auto.commit` fixed to true). Offsets are also committed synchronously when
    /// partitions are revoked and on close.
    public var commitInterval: Duration = .seconds(5)
    /// How often librdkafka reports statistics, from which ``KafkaConsumer/lag`` is read.
    /// `nil` turns statistics (and lag) off.
    public var statisticsInterval: Duration? = .seconds(5)
    /// Messages held in memory ahead of the application. When full (in messages or in
    /// ``bufferCapacityBytes``), the poll thread stops taking messages from librdkafka until the
    /// application has drained half of it; librdkafka keeps what it prefetched (bounded by
    /// ``prefetchMessages`` and ``prefetchKilobytes``), so no fetch is
    /// repeated. Only if the application stays stalled for ``backpressureGrace`` does the consumer
    /// pause fetching, so that it can keep polling (group membership and rebalances are served).
    public var bufferCapacity = 10_000
    /// The same bound in bytes of keys, values and headers.
    public var bufferCapacityBytes = 16 << 20
    /// How long the poll thread waits, without polling, for the application to drain a full
    /// buffer before it pauses every partition (which drops librdkafka's prefetched data; the
    /// resume fetches it again). Rebalance callbacks wait at most this long. `.zero` pauses at once.
    public var backpressureGrace: Duration = .seconds(1)
    /// librdkafka's prefetch in messages, ahead of ``bufferCapacity``: `queued.min.messages`.
    /// librdkafka documents it per partition, but 2.0.2 counts it on the one queue all partitions
    /// fetch into. Once the queue holds that many, fetching stops and is re-checked only when the
    /// broker thread next wakes, up to a second later: a reader that drains more than this per
    /// second starves meanwhile (100,000 stalled the Kafka layer for 0.75 s of a 200,000-record
    /// pass, and 10,000 held a plain C consumer to 25,000 messages/s). The default leaves the
    /// bound to ``prefetchKilobytes``.
    public var prefetchMessages = 1_000_000
    /// librdkafka's prefetch in KiB: `queued.max.messages.kbytes`, the memory bound of the one
    /// queue all of this consumer's partitions fetch into (it may be overshot by one fetch
    /// response). The same stall as ``prefetchMessages`` applies, so keep it well above what the
    /// application reads in a second: at 4 MiB, a 200,000-record pass over 12 partitions waited
    /// 2.9 of its 3.0 s. The default is librdkafka's own.
    public var prefetchKilobytes = 65_536
    /// How long the poll thread blocks waiting for a message before it checks for work.
    public var pollTimeout: Duration = .milliseconds(100)
    /// The most a rebalance waits for the application's handler before it proceeds anyway.
    public var rebalanceHandlerTimeout: Duration = .seconds(30)
    /// `client.id`: how brokers name this client in their logs, quotas and metrics. `nil` keeps
    /// librdkafka's default (`rdkafka`); the application names itself here.
    public var clientID: String?
    /// The most ``KafkaConsumer/close()`` waits for the broker: the final commit and leaving the
    /// group share this bound. librdkafka's own synchronous commit and close wait for a group
    /// coordinator with no timeout, so without it a close with the broker gone never returns.
    /// It also bounds each commit on revoke. What is not committed in time is re-read by the next
    /// owner (at-least-once).
    public var closeTimeout: Duration = .seconds(10)
    /// librdkafka properties passed through verbatim.
    public var properties: [String: String] = [:]

    public init(bootstrapServers: String, groupID: String, topics: [String]) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
        self.topics = topics
    }

    /// Keys the consumer must own: with them changed, its offset contract (an offset is stored
    /// only after the application says the message is done, and stored offsets are committed
    /// every `commitInterval`, on revoke and on close) would no longer hold.
    static let reservedKeys: [String: String] = [
        "enable.auto.offset.store": "offsets are stored only through KafkaConsumer.storeOffsets",
        // `false` would quietly stop the periodic commit: stored offsets would wait for the next
        // revoke or close, and a crash would re-deliver everything since the last rebalance.
        "enable.auto.commit":
            "stored offsets are committed every commitInterval (set that instead), on revoke and on close",
        "rebalance_cb": "rebalances are handled by the consumer",
    ]

    /// Checks the configuration as ``KafkaConsumer/init(configuration:logger:rebalanceHandler:)``
    /// would, without creating a consumer, so an application can refuse a bad property before it
    /// opens anything else.
    public func validate() throws(KafkaError) {
        try RDKafkaConfig.check(librdkafkaProperties())
    }

    /// The properties a consumer with this configuration hands librdkafka: the typed fields, then
    /// ``properties`` over them. Throws as ``validate()`` does for a reserved key.
    public func librdkafkaProperties() throws(KafkaError) -> [String: String] {
        for key in properties.keys {
            if let reason = Self.reservedKeys[key] {
                throw .configuration(key: key, reason: "cannot be overridden: \(reason)")
            }
        }
        guard !topics.isEmpty else { throw .configuration(key: "topics", reason: "at least one topic is required") }
        guard bufferCapacity >= 2 else { throw .configuration(key: "bufferCapacity", reason: "must be at least 2") }
        guard bufferCapacityBytes >= 1 else {
            throw .configuration(key: "bufferCapacityBytes", reason: "must be positive")
        }
        guard backpressureGrace >= .zero else {
            throw .configuration(key: "backpressureGrace", reason: "must not be negative")
        }
        var result: [String: String] = [
            "bootstrap.servers": bootstrapServers,
            "group.id": groupID,
            "partition.assignment.strategy": assignmentStrategy,
            "auto.offset.reset": autoOffsetReset,
            "enable.auto.commit": "true",
            "auto.commit.interval.ms": String(commitInterval.milliseconds),
            "enable.auto.offset.store": "false",
            "enable.partition.eof": "false",
            "queued.min.messages": String(prefetchMessages),
            "queued.max.messages.kbytes": String(prefetchKilobytes),
        ]
        if let clientID { result["client.id"] = clientID }
        if let groupInstanceID { result["group.instance.id"] = groupInstanceID }
        if let statisticsInterval { result["statistics.interval.ms"] = String(statisticsInterval.milliseconds) }
        result.merge(properties) { _, passedThrough in passedThrough }
        return result
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, as librdkafka's `*.ms` properties expect.
    package var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
