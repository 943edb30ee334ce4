/// A record header. Kafka allows repeated names, so headers are an ordered list, not a dictionary.
public struct KafkaHeader: Hashable, Sendable {
    public var name: String
    /// `nil` is a header with a null value, distinct from an empty one.
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    public init(name: String, string: String) {
        self.init(name: name, value: Array(string.utf8))
    }

    /// The value decoded as UTF-8, or `nil` when absent or not valid UTF-8.
    public var stringValue: String? {
        value.flatMap { String(validating: $0, as: UTF8.self) }
    }
}

extension Array where Element == KafkaHeader {
    /// The last header with this name (later headers win, as in most Kafka clients).
    public func last(named name: String) -> KafkaHeader? {
        last { $0.name == name }
    }
}
