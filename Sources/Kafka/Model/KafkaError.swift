package import Crdkafka

/// Errors from the Kafka layer. librdkafka's own error codes are wrapped in ``Code`` so that no C type
/// leaks into the public surface.
public enum KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A configuration value was rejected; `key` names the property so the operator can fix it.
    case configuration(key: String, reason: String)
    /// librdkafka reported an error for an operation or a message.
    case librdkafka(Code, reason: String)
    /// The client was closed before, or while, the operation ran.
    case closed
    /// A blocking operation did not finish within its bound.
    case timedOut(operation: String)
    /// The caller's task was cancelled before the outcome was known; for a send, the record may
    /// still be delivered (or fail) afterwards.
    case cancelled(operation: String)

    public var description: String {
        switch self {
        case .configuration(let key, let reason): "invalid Kafka configuration '\(key)': \(reason)"
        case .librdkafka(let code, let reason): "\(reason) (\(code.name))"
        case .closed: "the Kafka client is closed"
        case .timedOut(let operation): "\(operation) timed out"
        case .cancelled(let operation): "\(operation) cancelled"
        }
    }

    /// Whether repeating the operation may succeed (a transient broker or network condition).
    public var isRetriable: Bool {
        switch self {
        case .librdkafka(let code, _): code.isRetriable
        case .timedOut, .cancelled: true
        case .configuration, .closed: false
        }
    }

    /// Whether the broker or librdkafka refused this very record for good: sending it again to
    /// the same topic fails the same way (too large for it, not authorised, no such topic, a
    /// policy against it). A transient condition, a closed client or a purge on close is not.
    public var refusesRecord: Bool {
        guard case .librdkafka(let code, _) = self else { return false }
        return Code.recordRefusals.contains(code.rawValue)
    }

    /// librdkafka's numeric error code (`rd_kafka_resp_err_t`), with its symbolic name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int32

        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// librdkafka's name for the code, e.g. `_MSG_TIMED_OUT` or `NOT_LEADER_FOR_PARTITION`.
        public var name: String { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue))) }
        public var description: String { name }

        public static let queueFull = Code(rawValue: RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue)
        public static let messageTimedOut = Code(rawValue: RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue)
        public static let purgeQueue = Code(rawValue: RD_KAFKA_RESP_ERR__PURGE_QUEUE.rawValue)
        public static let purgeInflight = Code(rawValue: RD_KAFKA_RESP_ERR__PURGE_INFLIGHT.rawValue)
        public static let allBrokersDown = Code(rawValue: RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue)
        public static let transport = Code(rawValue: RD_KAFKA_RESP_ERR__TRANSPORT.rawValue)
        public static let fatal = Code(rawValue: RD_KAFKA_RESP_ERR__FATAL.rawValue)
        public static let state = Code(rawValue: RD_KAFKA_RESP_ERR__STATE.rawValue)
        public static let noOffset = Code(rawValue: RD_KAFKA_RESP_ERR__NO_OFFSET.rawValue)
        public static let unknownPartition = Code(rawValue: RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION.rawValue)
        public static let unknownTopic = Code(rawValue: RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue)
        public static let messageSizeTooLarge = Code(rawValue: RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue)

        static let recordRefusals: Set<Int32> = [
            RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE.rawValue,
            RD_KAFKA_RESP_ERR_INVALID_RECORD.rawValue, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED.rawValue,
            RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED.rawValue, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION.rawValue,
            RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue, RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT.rawValue,
            RD_KAFKA_RESP_ERR_POLICY_VIOLATION.rawValue,
        ]

        var isRetriable: Bool {
            switch rd_kafka_resp_err_t(rawValue) {
            case RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT,
                RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
                RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
                true
            default:
                false
            }
        }
    }
}

extension KafkaError {
    /// Wraps a librdkafka result, returning `nil` for success.
    package static func check(_ err: rd_kafka_resp_err_t, _ operation: @autoclosure () -> String) -> KafkaError? {
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return failure(err, operation())
    }

    /// `err`, which the caller knows is not `RD_KAFKA_RESP_ERR_NO_ERROR`, as an error naming `operation`.
    static func failure(_ err: rd_kafka_resp_err_t, _ operation: String) -> KafkaError {
        .librdkafka(Code(rawValue: err.rawValue), reason: "\(operation): \(String(cString: rd_kafka_err2str(err)))")
    }

    /// Takes ownership of an `rd_kafka_error_t` (destroying it) and converts it.
    static func consume(_ error: OpaquePointer, _ operation: String) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        let code = rd_kafka_error_code(error)
        let text = String(cString: rd_kafka_error_string(error))
        return .librdkafka(Code(rawValue: code.rawValue), reason: "\(operation): \(text)")
    }
}
