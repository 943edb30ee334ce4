import Testing

@testable import Kafka

@Suite("Client id")
struct ClientIDTests {
    @Test("the layer names no application: client.id is librdkafka's default unless set")
    func neutralByDefault() throws {
        let consumer = KafkaConsumerConfiguration(bootstrapServers: "127.0.0.1:1", groupID: "g", topics: ["t"])
        let producer = KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:1")
        #expect(try consumer.librdkafkaProperties()["client.id"] == nil)
        #expect(producer.librdkafkaProperties()["client.id"] == nil)
    }

    @Test("clientID sets client.id, and properties still win over it")
    func typedAndOverridable() throws {
        var consumer = KafkaConsumerConfiguration(bootstrapServers: "127.0.0.1:1", groupID: "g", topics: ["t"])
        var producer = KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:1")
        consumer.clientID = "billing"
        producer.clientID = "billing"
        #expect(try consumer.librdkafkaProperties()["client.id"] == "billing")
        #expect(producer.librdkafkaProperties()["client.id"] == "billing")
        consumer.properties["client.id"] = "from-file"
        producer.properties["client.id"] = "from-file"
        #expect(try consumer.librdkafkaProperties()["client.id"] == "from-file")
        #expect(producer.librdkafkaProperties()["client.id"] == "from-file")
        try consumer.validate()
        try producer.validate()
    }
}
