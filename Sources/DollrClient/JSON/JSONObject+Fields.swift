// Typed reads of members, for decoding responses. Errors name the field and the expected type, never the value,
// because a value may be a phone number or a token.
extension JSONObject {
    package func string(_ key: String) throws(JSONShapeError) -> String {
        guard case .string(let value)? = self[key] else { throw JSONShapeError(field: key, expected: "a string") }
        return value
    }

    /// `nil` when the member is missing or `null`.
    package func optionalString(_ key: String) throws(JSONShapeError) -> String? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw JSONShapeError(field: key, expected: "a string or null")
        }
    }

    package func integer(_ key: String) throws(JSONShapeError) -> Int {
        guard case .number(let literal)? = self[key], let value = Int(literal) else {
            throw JSONShapeError(field: key, expected: "an integer")
        }
        return value
    }

    package func bool(_ key: String) throws(JSONShapeError) -> Bool {
        guard case .bool(let value)? = self[key] else { throw JSONShapeError(field: key, expected: "a boolean") }
        return value
    }

    /// An identifier that Dollr may send as a string or as an integer; held as text either way.
    package func identifier(_ key: String) throws(JSONShapeError) -> String {
        switch self[key] {
        case .string(let value)?: return value
        case .number(let literal)? where Int(literal) != nil: return literal
        default: throw JSONShapeError(field: key, expected: "a string or integer identifier")
        }
    }

    /// A decimal amount sent either as a JSON number or as a string, returned as exact plain decimal text.
    package func decimalText(_ key: String) throws(JSONShapeError) -> String {
        guard let text = try self.optionalDecimalText(key) else {
            throw JSONShapeError(field: key, expected: "a decimal number or string")
        }
        return text
    }

    package func optionalDecimalText(_ key: String) throws(JSONShapeError) -> String? {
        switch self[key] {
        case nil, .null?: return nil
        case .number(let literal)?:
            guard let plain = DecimalText.plain(fromJSONNumber: literal) else {
                throw JSONShapeError(field: key, expected: "a decimal number of reasonable size")
            }
            return plain
        case .string(let text)?: return text
        default: throw JSONShapeError(field: key, expected: "a decimal number or string")
        }
    }

    package func array(_ key: String) throws(JSONShapeError) -> [JSONValue] {
        guard case .array(let value)? = self[key] else { throw JSONShapeError(field: key, expected: "an array") }
        return value
    }
}

extension JSONValue {
    /// The object, or a shape error naming `context`.
    package func object(context: String) throws(JSONShapeError) -> JSONObject {
        guard case .object(let object) = self else { throw JSONShapeError(field: context, expected: "an object") }
        return object
    }
}
