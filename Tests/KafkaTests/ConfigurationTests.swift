import Kafka
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test("a bad librdkafka property stops construction and names the key")
    func badPropertyNamesKey() throws {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: "127.0.0.1:1", groupID: "g", topics: ["t"])
        configuration.properties["session.timeout.ms"] = "not-a-number"
        #expect {
            _ = try KafkaConsumer(configuration: configuration, logger: testLogger)
        } throws: { error in
            guard case KafkaError.configuration(let key, _) = error else { return false }
            return key == "session.timeout.ms"
        }
    }

    /// `enable.auto.commit=false` would silently stop the periodic commit that `commitInterval`
    /// promises, so it is refused like `enable.auto.offset.store`.
    @Test(
        "keys the at-least-once contract depends on cannot be overridden",
        arguments: [("enable.auto.offset.store", "true"), ("enable.auto.commit", "false")]
    )
    func reservedKeysAreRefused(key reserved: String, value: String) throws {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: "127.0.0.1:1", groupID: "g", topics: ["t"])
        configuration.properties[reserved] = value
        #expect {
            try configuration.validate()
        } throws: { error in
            guard case KafkaError.configuration(let key, _) = error else { return false }
            return key == reserved
        }
        #expect {
            _ = try KafkaConsumer(configuration: configuration, logger: testLogger)
        } throws: { error in
            guard case KafkaError.configuration(let key, _) = error else { return false }
            return key == reserved
        }
    }

    @Test("unknown producer properties are refused with their name")
    func unknownProducerProperty() throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:1")
        configuration.properties["no.such.property"] = "1"
        #expect {
            _ = try KafkaProducer(configuration: configuration, logger: testLogger)
        } throws: { error in
            guard case KafkaError.configuration(let key, _) = error else { return false }
            return key == "no.such.property"
        }
    }

    @Test("TLS and SASL properties pass through untouched")
    func securityPropertiesPassThrough() async throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:1")
        configuration.properties["security.protocol"] = "sasl_plaintext"
        configuration.properties["sasl.mechanisms"] = "SCRAM-SHA-512"
        configuration.properties["sasl.username"] = "worker"
        configuration.properties["sasl.password"] = "secret"
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
        await producer.close()
    }
}
