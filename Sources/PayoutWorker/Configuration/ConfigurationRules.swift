import DollrClient
import Foundation
import Kafka

/// Checks on single values. Each names what is expected and never quotes the text it was given:
/// a URL may carry a password, a phone number is personal data, a secret is a secret.
enum ConfigurationRules {
    static func notEmpty(_ text: String) throws(RuleViolation) {
        guard !text.allSatisfy(\.isWhitespace) else { throw RuleViolation("must not be empty or blank") }
    }

    /// The admin token: long enough that guessing it over HTTP is hopeless, and no whitespace (it
    /// travels in an `Authorization` header, and a trailing newline from a file is a common slip).
    static func adminToken(_ text: String) throws(RuleViolation) -> String {
        let token = text.trimmingCharacters(in: .newlines)
        guard token.count >= 24 else {
            throw RuleViolation("must be at least 24 characters (try `openssl rand -hex 24`)")
        }
        guard !token.contains(where: \.isWhitespace) else { throw RuleViolation("must not contain spaces") }
        return token
    }

    /// `host:port[,host:port...]`, as librdkafka's `bootstrap.servers` takes it (a missing port means 9092).
    static func brokers(_ text: String) throws(RuleViolation) {
        for (position, entry) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            guard !entry.isEmpty, !entry.contains(where: \.isWhitespace) else {
                throw RuleViolation("entry \(position + 1) must be host:port, without spaces or empty entries")
            }
            // The port follows the last ':'; a bracketed IPv6 address without a port ends in ']'.
            if let colon = entry.lastIndex(of: ":") {
                let port = entry[entry.index(after: colon)...]
                guard port.contains("]") || Int(port).map({ (1...65535).contains($0) }) == true else {
                    throw RuleViolation("entry \(position + 1) must end in a port from 1 to 65535")
                }
            }
        }
    }

    /// Kafka's legal topic names: 1 to 249 of `[a-zA-Z0-9._-]`, and not `.` or `..`.
    static func topic(_ text: String) throws(RuleViolation) {
        let legal = text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
        guard (1...249).contains(text.utf8.count), legal, text != ".", text != ".." else {
            throw RuleViolation("must be a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ -")
        }
    }

    /// An absolute `http` or `https` URL with a host.
    static func httpURL(_ text: String) throws(RuleViolation) -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw RuleViolation("must be an absolute http:// or https:// URL with a host")
        }
        return url
    }

    /// The store URL's shape: `sqlite:///absolute/path.db`, `sqlite::memory:` or
    /// `postgres://user:password@host:port/database`. The store checks its parameters when it opens.
    static func storeURL(_ text: String) throws(RuleViolation) {
        if text == "sqlite::memory:" { return }
        if text.hasPrefix("sqlite:") {
            guard text.hasPrefix("sqlite:///"), text.count > "sqlite:///".count else {
                throw RuleViolation(
                    "a sqlite URL must be sqlite:///absolute/path.db (three slashes) or sqlite::memory:"
                )
            }
            return
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            throw RuleViolation(
                "scheme must be sqlite or postgres: sqlite:///absolute/path.db or postgres://user:password@host:port/database"
            )
        }
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty,
            components.path.count > 1
        else {
            throw RuleViolation(
                "a postgres URL must be postgres://user:password@host:port/database (percent-encode special characters)"
            )
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw RuleViolation("the postgres port must be from 1 to 65535")
        }
    }

    static func phone(_ text: String) throws(RuleViolation) -> PhoneNumber {
        do {
            return try PhoneNumber(text)
        } catch {
            throw RuleViolation(error.description)
        }
    }

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    static func logLevel(_ text: String) throws(RuleViolation) {
        guard Self.logLevels.contains(text) else {
            throw RuleViolation("must be one of \(Self.logLevels.joined(separator: ", "))")
        }
    }

    static func currency(_ text: String, subkey: String? = nil) throws(RuleViolation) -> CurrencyCode {
        do {
            return try CurrencyCode(text)
        } catch {
            throw RuleViolation("\(error.description) (ISO 4217, e.g. USD)", subkey: subkey)
        }
    }

    /// A librdkafka property librdkafka itself accepts (a known name, a value of its type and range),
    /// checked at load so that a bad one stops start-up with its key named, before anything opens.
    /// librdkafka quotes enumeration values in its reasons; those quotes are blanked.
    static func librdkafkaProperty(_ name: String, _ value: String, subkey: String?) throws(RuleViolation) {
        do {
            try LibrdkafkaProperty.check(name: name, value: value)
        } catch {
            guard case .configuration(_, let reason) = error else { throw RuleViolation("\(error)", subkey: subkey) }
            let blanked = value.isEmpty ? reason : reason.replacingOccurrences(of: "\"\(value)\"", with: "\"…\"")
            throw RuleViolation(
                "librdkafka refuses it: \(blanked.trimmingCharacters(in: .whitespacesAndNewlines))",
                subkey: subkey
            )
        }
    }

    /// An object of currency code to decimal amount (`{"USD": "10000.00"}`; a JSON number is taken
    /// too): exact, with at most the currency's minor digits, above zero unless `allowingZero`.
    static func amountsByCurrency(_ raw: RawSetting, allowingZero: Bool) throws(RuleViolation) -> [CurrencyCode: Money]
    {
        var amounts: [CurrencyCode: Money] = [:]
        for member in try raw.object().members {
            let currency = try currency(member.key, subkey: member.key)
            let text: String
            switch member.value {
            case .string(let string): text = string
            case .number(let literal):
                guard let plain = DecimalText.plain(fromJSONNumber: literal) else { fallthrough }
                text = plain
            default:
                throw RuleViolation("expected a decimal string such as \"10000.00\"", subkey: member.key)
            }
            let amount: Money
            do {
                amount = try Money(parsing: text, currency: currency)
            } catch .notANumber {
                throw RuleViolation("expected a plain decimal such as \"10000.00\"", subkey: member.key)
            } catch {
                throw RuleViolation(error.description, subkey: member.key)
            }
            guard allowingZero || !amount.isZero else {
                throw RuleViolation("must be greater than 0", subkey: member.key)
            }
            amounts[currency] = amount
        }
        return amounts
    }
}
