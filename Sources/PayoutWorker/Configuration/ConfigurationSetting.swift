import DollrClient

/// One configurable value: where it lives in the JSON file, which environment variable (if any)
/// overrides it, and how a raw value is checked and applied. The file reader, the environment
/// reader, `environmentKeys` and the table of docs/configuration.md all follow this one list
/// (`WorkerConfiguration.settings`), so they cannot drift apart.
struct ConfigurationSetting {
    /// JSON path in the file, e.g. `engine.poll_budget_ms`.
    let path: String
    /// Environment variable that wins over the file, if any.
    let environment: String?
    let apply: (inout WorkerConfiguration, RawSetting) throws(RuleViolation) -> Void
}

/// A value as it arrived: a JSON value from the file, or text from the environment.
enum RawSetting {
    case json(JSONValue)
    case text(String)
}

/// Why a value is refused. `subkey` extends the setting's key for members of maps and arrays
/// (`commands.maximum_amounts.EUR`). The reason never quotes a string the operator supplied.
struct RuleViolation: Error {
    var reason: String
    var subkey: String?

    init(_ reason: String, subkey: String? = nil) {
        self.reason = reason
        self.subkey = subkey
    }
}

// MARK: - Reading raw values

extension RawSetting {
    func integer<T: FixedWidthInteger>(in range: ClosedRange<T>) throws(RuleViolation) -> T {
        let literal: String
        switch self {
        case .json(.number(let text)): literal = text
        case .json(let other): throw RuleViolation("expected an integer, got \(other.typeName)")
        case .text(let text): literal = text
        }
        guard let value = T(literal) else {
            // Distinguish "too large for any sane setting" from "not an integer" without echoing text.
            let isInteger = !literal.isEmpty && literal.drop(while: { $0 == "-" }).allSatisfy(\.isASCIIDigit)
            throw RuleViolation(isInteger ? "must be \(Self.describe(range))" : "expected an integer")
        }
        guard range.contains(value) else { throw RuleViolation("must be \(Self.describe(range)), got \(value)") }
        return value
    }

    func string() throws(RuleViolation) -> String {
        switch self {
        case .json(.string(let text)), .text(let text): return text
        case .json(let other): throw RuleViolation("expected a string, got \(other.typeName)")
        }
    }

    /// A non-empty string, or `nil` for JSON `null`.
    func optionalString() throws(RuleViolation) -> String? {
        if case .json(.null) = self { return nil }
        switch self {
        case .json(.string(let text)), .text(let text): return text
        case .json(let other): throw RuleViolation("expected a string or null, got \(other.typeName)")
        }
    }

    func bool() throws(RuleViolation) -> Bool {
        switch self {
        case .json(.bool(let flag)): return flag
        case .json(let other): throw RuleViolation("expected a boolean, got \(other.typeName)")
        case .text(let text):
            switch text.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw RuleViolation("expected true or false")
            }
        }
    }

    func object() throws(RuleViolation) -> JSONObject {
        switch self {
        case .json(.object(let object)): return object
        case .json(let other): throw RuleViolation("expected an object, got \(other.typeName)")
        case .text: throw RuleViolation("cannot be set from the environment")
        }
    }

    func array() throws(RuleViolation) -> [JSONValue] {
        switch self {
        case .json(.array(let elements)): return elements
        case .json(let other): throw RuleViolation("expected an array, got \(other.typeName)")
        case .text: throw RuleViolation("cannot be set from the environment")
        }
    }

    static func describe<T: FixedWidthInteger>(_ range: ClosedRange<T>) -> String {
        range.upperBound == T.max ? "at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
    }
}

// MARK: - Building settings

extension ConfigurationSetting {
    static func integer<T: FixedWidthInteger>(
        _ path: String,
        _ environment: String? = nil,
        _ range: ClosedRange<T>,
        _ keyPath: WritableKeyPath<WorkerConfiguration, T>
    ) -> ConfigurationSetting {
        ConfigurationSetting(path: path, environment: environment) { (configuration, raw) throws(RuleViolation) in
            configuration[keyPath: keyPath] = try raw.integer(in: range)
        }
    }

    /// A duration given as integer milliseconds (`*_ms`).
    static func milliseconds(
        _ path: String,
        _ environment: String? = nil,
        _ range: ClosedRange<Int64>,
        _ keyPath: WritableKeyPath<WorkerConfiguration, Duration>
    ) -> ConfigurationSetting {
        ConfigurationSetting(path: path, environment: environment) { (configuration, raw) throws(RuleViolation) in
            configuration[keyPath: keyPath] = .milliseconds(try raw.integer(in: range))
        }
    }

    /// A string checked by `rule` (by default: not empty).
    static func text(
        _ path: String,
        _ environment: String? = nil,
        _ keyPath: WritableKeyPath<WorkerConfiguration, String>,
        rule: @escaping (String) throws(RuleViolation) -> Void = ConfigurationRules.notEmpty
    ) -> ConfigurationSetting {
        ConfigurationSetting(path: path, environment: environment) { (configuration, raw) throws(RuleViolation) in
            let value = try raw.string()
            try rule(value)
            configuration[keyPath: keyPath] = value
        }
    }

    /// A string that may be `null` (absent); when present it is checked by `rule`.
    static func optionalText(
        _ path: String,
        _ environment: String? = nil,
        _ keyPath: WritableKeyPath<WorkerConfiguration, String?>,
        rule: @escaping (String) throws(RuleViolation) -> Void = ConfigurationRules.notEmpty
    ) -> ConfigurationSetting {
        ConfigurationSetting(path: path, environment: environment) { (configuration, raw) throws(RuleViolation) in
            let value = try raw.optionalString()
            if let value { try rule(value) }
            configuration[keyPath: keyPath] = value
        }
    }

    static func flag(
        _ path: String,
        _ environment: String? = nil,
        _ keyPath: WritableKeyPath<WorkerConfiguration, Bool>
    ) -> ConfigurationSetting {
        ConfigurationSetting(path: path, environment: environment) { (configuration, raw) throws(RuleViolation) in
            configuration[keyPath: keyPath] = try raw.bool()
        }
    }

    /// librdkafka properties: an object of names to strings (numbers and booleans are taken as their text,
    /// since librdkafka reads every property as text). The map replaces the default (empty) one.
    static func properties(
        _ path: String,
        _ keyPath: WritableKeyPath<WorkerConfiguration, [String: String]>
    ) -> ConfigurationSetting {
        ConfigurationSetting(path: path, environment: nil) { (configuration, raw) throws(RuleViolation) in
            var properties: [String: String] = [:]
            for member in try raw.object().members {
                guard !member.key.isEmpty else { throw RuleViolation("property names must not be empty") }
                let text: String
                switch member.value {
                case .string(let string): text = string
                case .number(let literal): text = literal
                case .bool(let flag): text = flag ? "true" : "false"
                default:
                    throw RuleViolation(
                        "expected a string, number or boolean, got \(member.value.typeName)",
                        subkey: member.key
                    )
                }
                try ConfigurationRules.librdkafkaProperty(member.key, text, subkey: member.key)
                properties[member.key] = text
            }
            configuration[keyPath: keyPath] = properties
        }
    }
}
