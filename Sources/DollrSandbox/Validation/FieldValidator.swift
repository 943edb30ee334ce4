import DollrClient

/// Reads a request body's fields the way FastAPI/pydantic v2 validates them (strict JSON types), collecting every
/// problem as a FastAPI-style issue instead of stopping at the first.
struct FieldValidator {
    private(set) var issues: [ValidationIssue] = []
    let object: JSONObject
    let loc: [String]

    init(_ object: JSONObject, loc: [String]) {
        self.object = object
        self.loc = loc
    }

    mutating func fail(_ key: String?, _ msg: String, _ type: String) {
        self.issues.append(ValidationIssue(loc: key.map { self.loc + [$0] } ?? self.loc, msg: msg, type: type))
    }

    /// `nil` (and an issue) when missing or not a string.
    mutating func string(_ key: String, nonEmpty: Bool = false) -> String? {
        guard let value = self.present(key) else { return nil }
        guard case .string(let text) = value else {
            self.fail(key, "Input should be a valid string", "string_type")
            return nil
        }
        if nonEmpty, text.isEmpty {
            self.fail(key, "String should have at least 1 character", "string_too_short")
            return nil
        }
        return text
    }

    /// Missing and `null` are both fine; anything but a string is not.
    mutating func optionalString(_ key: String) -> String? {
        switch self.object[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default:
            self.fail(key, "Input should be a valid string", "string_type")
            return nil
        }
    }

    /// A JSON integer; strings holding digits are refused (stricter than pydantic's lax mode, to catch clients
    /// that send the wrong JSON type).
    mutating func integer(_ key: String) -> Int? {
        guard let value = self.present(key) else { return nil }
        guard case .number(let literal) = value, let number = Int(literal) else {
            self.fail(key, "Input should be a valid integer", "int_type")
            return nil
        }
        return number
    }

    /// A JSON number's literal text; strings are refused.
    mutating func number(_ key: String) -> String? {
        guard let value = self.present(key) else { return nil }
        guard case .number(let literal) = value else {
            self.fail(key, "Input should be a valid number", "float_type")
            return nil
        }
        return literal
    }

    mutating func object(_ key: String) -> JSONObject? {
        guard let value = self.present(key) else { return nil }
        guard case .object(let nested) = value else {
            self.fail(
                key,
                "Input should be a valid dictionary or object to extract fields from",
                "model_attributes_type"
            )
            return nil
        }
        return nested
    }

    /// A string that must be one of `allowed`.
    mutating func choice(_ key: String, _ allowed: [String]) -> String? {
        guard let text = self.string(key) else { return nil }
        guard allowed.contains(text) else {
            self.fail(key, "Input should be \(Self.alternatives(allowed))", "enum")
            return nil
        }
        return text
    }

    mutating func absorb(_ other: FieldValidator) {
        self.issues += other.issues
    }

    private mutating func present(_ key: String) -> JSONValue? {
        guard let value = self.object[key] else {
            self.fail(key, "Field required", "missing")
            return nil
        }
        return value
    }

    /// `'A', 'B' or 'C'`, as pydantic words an enum error.
    static func alternatives(_ allowed: [String]) -> String {
        let quoted = allowed.map { "'\($0)'" }
        guard quoted.count > 1, let last = quoted.last else { return quoted.first ?? "" }
        return quoted.dropLast().joined(separator: ", ") + " or " + last
    }
}
