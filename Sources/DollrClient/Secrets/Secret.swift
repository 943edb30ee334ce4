/// A value that must never reach a log line, an error message or a debugger dump.
///
/// Every textual view (`description`, `debugDescription`, `dump`, string interpolation) shows `<redacted>`.
/// It is deliberately not `Encodable`, so it cannot leak through a JSON encoder either; the one way to the value
/// is ``revealed``, which is used only where the value is written to the wire.
public struct Secret<Value: Sendable>: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let value: Value

    public init(_ value: Value) {
        self.value = value
    }

    /// The secret value. Use it only at the HTTP boundary.
    public var revealed: Value { self.value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension Secret: Equatable where Value: Equatable {}

extension Secret: Decodable where Value: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(Value.self))
    }
}
