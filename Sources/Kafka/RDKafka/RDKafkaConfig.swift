package import Crdkafka

/// Builds an `rd_kafka_conf_t` from string properties, naming the offending key on failure.
package enum RDKafkaConfig {
    /// Returns a new configuration object; the caller owns it until `rd_kafka_new` takes it.
    package static func make(_ properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errorBuffer = [CChar](repeating: 0, count: 512)
        // Sorted so that a failure is reported for the same key on every run.
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, key, value, &errorBuffer, errorBuffer.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let reason = String(
                    decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                    as: UTF8.self
                )
                throw .configuration(key: key, reason: reason)
            }
        }
        return conf
    }

    /// Runs librdkafka's own checks of every property (known name, value of the right type and
    /// range) without creating a client: nothing connects, no thread starts.
    static func check(_ properties: [String: String]) throws(KafkaError) {
        rd_kafka_conf_destroy(try make(properties))
    }

    /// Creates a client handle, taking ownership of `conf` (librdkafka frees it on success; we free it on failure).
    package static func newHandle(type: rd_kafka_type_t, conf: OpaquePointer) throws(KafkaError) -> RDKafkaHandle {
        var errorBuffer = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(type, conf, &errorBuffer, errorBuffer.count) else {
            rd_kafka_conf_destroy(conf)
            let reason = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw .configuration(key: "(client)", reason: reason)
        }
        return RDKafkaHandle(pointer: rk)
    }
}
