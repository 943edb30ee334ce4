internal import Crdkafka
internal import Crdkafka.Mock
import Foundation
public import Kafka
public import Logging
import Synchronization

/// A Kafka cluster inside this process: librdkafka's mock cluster, speaking the real Kafka protocol
/// over TCP on loopback, so any Kafka client (librdkafka-based ones such as kcat included) can use it.
///
/// Limits of librdkafka 2.0.2's mock that shape how it may be used:
/// - each partition keeps at most 5 MiB or 100,000 message sets; older data is silently dropped;
/// - transactional offsets are not stored and aborted records stay visible (no exactly-once tests);
/// - the first join of a consumer group takes about 3 s (a fixed delay in the mock);
/// - no CreateTopics API: topics are created here, or auto-created with 4 partitions on first use;
/// - data lives in memory only and replication is not simulated.
public final class EmbeddedKafkaCluster: Sendable {
    /// `host:port,...` of every broker.
    public let bootstrapServers: String
    /// Broker ids run from 1 to `brokerCount`.
    public let brokerCount: Int

    private let owner: RDKafkaHandle
    private let cluster: RDKafkaMockClusterHandle
    private let callbacks: RDKafkaCallbacks
    private let destroyed = Mutex(false)

    public init(brokers: Int = 1, logger: Logger) throws(KafkaError) {
        guard brokers >= 1 else { throw .configuration(key: "brokers", reason: "at least one broker is required") }
        // The mock cluster hangs off an ordinary client handle that never connects anywhere.
        let conf = try RDKafkaConfig.make(["client.id": "embedded-broker", "log_level": "3"])
        let callbacks = RDKafkaCallbacks(logger: logger)
        callbacks.install(on: conf)
        self.callbacks = callbacks
        owner = try RDKafkaConfig.newHandle(type: RD_KAFKA_PRODUCER, conf: conf)
        guard let mock = rd_kafka_mock_cluster_new(owner.pointer, Int32(brokers)) else {
            rd_kafka_destroy(owner.pointer)
            throw .librdkafka(
                .init(rawValue: RD_KAFKA_RESP_ERR__FAIL.rawValue),
                reason: "could not start the mock cluster"
            )
        }
        cluster = RDKafkaMockClusterHandle(pointer: mock)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mock))
        brokerCount = brokers
    }

    /// Destroying the mock cluster joins librdkafka's threads, which can take a while, and the
    /// last reference may be dropped on a thread of the cooperative pool (a test's task). So a
    /// cluster nobody shut down is destroyed on a thread of its own, and deinit returns at once.
    /// Call ``shutdown()`` to wait for the brokers to be gone.
    deinit {
        guard markDestroyed() else { return }
        let (cluster, owner, callbacks) = (cluster, owner, callbacks)
        let thread = Thread { Self.destroy(cluster: cluster, owner: owner, callbacks: callbacks) }
        thread.name = "kafka-mock-stop"
        thread.start()
    }

    /// Creates a topic. The replication factor defaults to min(3, brokers).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int? = nil) async throws(KafkaError) {
        let replication = replicationFactor ?? min(3, brokerCount)
        let cluster = cluster
        let err = await Blocking.run("kafka-mock") {
            rd_kafka_mock_topic_create(cluster.pointer, name, Int32(partitions), Int32(replication))
        }
        if let error = KafkaError.check(err, "create topic \(name)") { throw error }
    }

    /// Makes `brokerID` the leader of one partition. The mock picks leaders at random when it
    /// creates a topic; a test that takes a broker down pins them, so it knows what stays led.
    public func setPartitionLeader(_ topic: String, partition: Int32, broker brokerID: Int32) async throws(KafkaError) {
        let cluster = cluster
        let err = await Blocking.run("kafka-mock") {
            rd_kafka_mock_partition_set_leader(cluster.pointer, topic, partition, brokerID)
        }
        if let error = KafkaError.check(err, "set leader of \(topic)[\(partition)] to broker \(brokerID)") {
            throw error
        }
    }

    /// Closes a broker's listener and connections; clients see it as unreachable.
    /// The mock does not move partition leadership away from a down broker.
    public func setBrokerDown(_ brokerID: Int32) async throws(KafkaError) {
        let cluster = cluster
        let err = await Blocking.run("kafka-mock") { rd_kafka_mock_broker_set_down(cluster.pointer, brokerID) }
        if let error = KafkaError.check(err, "set broker \(brokerID) down") { throw error }
    }

    public func setBrokerUp(_ brokerID: Int32) async throws(KafkaError) {
        let cluster = cluster
        let err = await Blocking.run("kafka-mock") { rd_kafka_mock_broker_set_up(cluster.pointer, brokerID) }
        if let error = KafkaError.check(err, "set broker \(brokerID) up") { throw error }
    }

    /// Adds latency to every response of a broker.
    public func setRoundTripTime(_ rtt: Duration, broker brokerID: Int32) async throws(KafkaError) {
        let cluster = cluster
        let err = await Blocking.run("kafka-mock") {
            rd_kafka_mock_broker_set_rtt(cluster.pointer, brokerID, Int32(rtt.milliseconds))
        }
        if let error = KafkaError.check(err, "set rtt of broker \(brokerID)") { throw error }
    }

    /// Answers the next `count` requests of this type to `broker` correctly but `delay` late,
    /// to hold a client at one step of a protocol (a group member between JoinGroup and SyncGroup).
    public func delayResponses(
        to api: KafkaAPIKey,
        by delay: Duration,
        count: Int,
        broker brokerID: Int32
    ) async throws(KafkaError) {
        let cluster = cluster
        let err = await Blocking.run("kafka-mock") { () -> rd_kafka_resp_err_t in
            for _ in 0..<count {
                let err = payout_mock_delay_next_response(
                    cluster.pointer,
                    brokerID,
                    api.rawValue,
                    Int32(delay.milliseconds)
                )
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { return err }
            }
            return RD_KAFKA_RESP_ERR_NO_ERROR
        }
        if let error = KafkaError.check(err, "delay responses of broker \(brokerID)") { throw error }
    }

    /// The next `errors.count` requests of this type (on any broker) fail with these codes, in order.
    /// `.transport` makes the broker drop the connection instead of answering.
    public func injectErrors(_ errors: [KafkaError.Code], into api: KafkaAPIKey) async {
        let cluster = cluster
        let codes = errors.map { rd_kafka_resp_err_t($0.rawValue) }
        await Blocking.run("kafka-mock") {
            codes.withUnsafeBufferPointer { buffer in
                rd_kafka_mock_push_request_errors_array(cluster.pointer, api.rawValue, buffer.count, buffer.baseAddress)
            }
        }
    }

    /// Makes a topic's metadata report this error (the mock consults it for Metadata requests).
    public func setTopicError(_ topic: String, _ error: KafkaError.Code) async {
        let cluster = cluster
        await Blocking.run("kafka-mock") {
            rd_kafka_mock_topic_set_error(cluster.pointer, topic, rd_kafka_resp_err_t(error.rawValue))
        }
    }

    /// Stops the brokers and waits until they are gone. Connected clients see the connections close.
    public func shutdown() async {
        guard markDestroyed() else { return }
        let (cluster, owner, callbacks) = (cluster, owner, callbacks)
        await Blocking.run("kafka-mock-stop") { Self.destroy(cluster: cluster, owner: owner, callbacks: callbacks) }
    }

    /// True for the one caller that gets to destroy the cluster.
    private func markDestroyed() -> Bool {
        destroyed.withLock { destroyed -> Bool in
            defer { destroyed = true }
            return !destroyed
        }
    }

    private static func destroy(cluster: RDKafkaMockClusterHandle, owner: RDKafkaHandle, callbacks: RDKafkaCallbacks) {
        rd_kafka_mock_cluster_destroy(cluster.pointer)
        rd_kafka_destroy(owner.pointer)
        withExtendedLifetime(callbacks) {}  // the owner handle's callbacks must outlive rd_kafka_destroy
    }
}

/// An `rd_kafka_mock_cluster_t *`; same reasoning as `RDKafkaHandle`: the mock API is thread-safe
/// (each call is an op sent to the mock cluster's own thread).
struct RDKafkaMockClusterHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
