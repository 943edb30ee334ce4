/// One librdkafka property on its own, for configuration loaders that must name the setting a bad
/// property came from (a file key, an environment variable) before any client exists.
public enum LibrdkafkaProperty {
    /// librdkafka's check of `name` (a known property) and `value` (its type and range).
    /// Throws ``KafkaError/configuration(key:reason:)`` with librdkafka's reason.
    public static func check(name: String, value: String) throws(KafkaError) {
        try RDKafkaConfig.check([name: value])
    }
}
