/// An `rd_kafka_t *` that may be passed between threads.
///
/// `@unchecked Sendable` is safe because librdkafka documents its whole public API as thread-safe
/// ("all API functions may be called from any thread"); the handle's lifetime is owned by exactly one
/// poll thread, which destroys it only after every other user has been told the client is closed.
package struct RDKafkaHandle: @unchecked Sendable {
    package let pointer: OpaquePointer
}
