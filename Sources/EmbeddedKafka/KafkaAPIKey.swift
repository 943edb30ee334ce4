public import Kafka

/// Kafka protocol request types, for injecting errors into specific requests of the embedded broker.
public struct KafkaAPIKey: Hashable, Sendable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let produce = KafkaAPIKey(rawValue: 0)
    public static let fetch = KafkaAPIKey(rawValue: 1)
    public static let listOffsets = KafkaAPIKey(rawValue: 2)
    public static let metadata = KafkaAPIKey(rawValue: 3)
    public static let offsetCommit = KafkaAPIKey(rawValue: 8)
    public static let offsetFetch = KafkaAPIKey(rawValue: 9)
    public static let findCoordinator = KafkaAPIKey(rawValue: 10)
    public static let joinGroup = KafkaAPIKey(rawValue: 11)
    public static let heartbeat = KafkaAPIKey(rawValue: 12)
    public static let leaveGroup = KafkaAPIKey(rawValue: 13)
    public static let syncGroup = KafkaAPIKey(rawValue: 14)
    public static let initProducerID = KafkaAPIKey(rawValue: 22)
}

extension KafkaError.Code {
    // Broker-side codes worth injecting; any other code can be built with `init(rawValue:)`.
    public static let notLeaderForPartition = KafkaError.Code(rawValue: 6)
    public static let requestTimedOut = KafkaError.Code(rawValue: 7)
    public static let notCoordinator = KafkaError.Code(rawValue: 16)
    public static let notEnoughReplicas = KafkaError.Code(rawValue: 19)
    public static let notEnoughReplicasAfterAppend = KafkaError.Code(rawValue: 20)
    public static let rebalanceInProgress = KafkaError.Code(rawValue: 27)
}
