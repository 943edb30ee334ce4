/// A JSON document held exactly.
///
/// Numbers keep their literal text so that an amount never passes through a binary floating point value on its way
/// in or out. Shared by the client and the sandbox (package access), never part of the public API.
package enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's literal text as it appeared on the wire (RFC 8259 grammar, already validated).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A JSON integer literal.
    package static func integer(_ value: some BinaryInteger) -> JSONValue {
        .number(String(value))
    }

    /// Short name of the value's JSON type, used in error messages.
    package var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
