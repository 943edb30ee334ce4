internal import Crdkafka

/// An `rd_kafka_t *` that may be passed between threads.
///
/// `@unchecked Sendable` is safe because librdkafka documents its whole public API as thread-safe
/// ("all API functions may be called from any thread"); the handle's lifetime is owned by exactly one
/// poll thread, which destroys it only after every other user has been told the client is closed.
struct RDKafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// An `rd_kafka_mock_cluster_t *`; same reasoning as ``RDKafkaHandle``: the mock API is thread-safe
/// (each call is an op sent to the mock cluster's own thread).
struct RDKafkaMockClusterHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
