import DollrClient
import Foundation
import PayoutWorker
import PropertyBased
import TestSupport
import Testing

/// Random invalid values for random keys: the example file with one setting broken, or the
/// environment with one variable broken among valid ones. Loading must fail naming that key.
@Suite("WorkerConfigurationLoader: properties")
struct LoaderPropertyTests {
    /// The example file: every key, each with a valid value.
    static let example: JSONObject = {
        let data = FileManager.default.contents(
            atPath: Repository.root.appendingPathComponent("config/payout-worker.example.json").path
        )!
        return try! JSONParser.parse([UInt8](data)).object(context: "example")
    }()

    /// Every setting of the example file, by path: top-level members and the members of sections.
    static let settings: [(path: [String], value: JSONValue)] = example.members.flatMap {
        member -> [([String], JSONValue)] in
        if member.key.hasPrefix("//") { return [] }
        guard case .object(let section) = member.value else { return [([member.key], member.value)] }
        return section.members.filter { !$0.key.hasPrefix("//") }.map { ([member.key, $0.key], $0.value) }
    }

    static func letters(_ count: ClosedRange<Int>, using random: inout some RandomNumberGenerator) -> String {
        String(
            (0..<Int.random(in: count, using: &random)).map { _ in
                "abcdefghijklmnopqrstuvwxyz".randomElement(using: &random)!
            }
        )
    }

    /// A value of the wrong type or out of range for a setting whose valid value looks like `valid`.
    static func invalid(for valid: JSONValue, path: String, using random: inout some RandomNumberGenerator) -> JSONValue
    {
        let wrongTypes: [JSONValue] = [.bool(true), .array([]), .object([:])]
        switch valid {
        case .number:
            return
                ([
                    .string(letters(1...8, using: &random)), .number("-\(Int.random(in: 1...Int.max, using: &random))"),
                    .number("1.5"), .number("1e3"), .number("99999999999999999999999"), .null,
                ] + wrongTypes).randomElement(using: &random)!
        case .bool:
            return [.string("yes"), .number("1"), .null, .array([]), .object([:])].randomElement(using: &random)!
        case .array:
            return [.string("USD"), .array([.number("1")]), .array([]), .array([.string("usd")]), .object([:])]
                .randomElement(using: &random)!
        case .object where path == "commands.maximum_amounts":
            return [.string("x"), .array([]), .object(["USD": .bool(true)]), .object(["USD": .string("-1")])]
                .randomElement(using: &random)!
        case .object:
            // librdkafka property maps: an unknown property, a bad value, a value of the wrong type.
            return [
                .string("x"), .array([]), .object(["no.such.\(letters(3...8, using: &random))": .string("1")]),
                .object(["linger.ms": .string(letters(2...6, using: &random))]), .object(["acks": .array([])]),
            ]
            .randomElement(using: &random)!
        case .string, .null:
            return ([.number("7")] + wrongTypes).randomElement(using: &random)!
        }
    }

    @Test("one setting of the file broken at random: the error names exactly that key")
    func brokenFileSetting() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let cases = Generator<(path: String, document: String), Shrink.None<(path: String, document: String)>> { rng in
            let (path, valid) = Self.settings.randomElement(using: &rng)!
            var document = Self.example
            let value = Self.invalid(for: valid, path: path.joined(separator: "."), using: &rng)
            if path.count == 1 {
                document[path[0]] = value
            } else if case .object(var section)? = document[path[0]] {
                section[path[1]] = value
                document[path[0]] = .object(section)
            }
            return (path.joined(separator: "."), JSONWriter.serialize(document))
        }
        SeededProperty.check(cases, count: 300, seed: 7) { testCase in
            let file = try! scratch.write("config.json", testCase.document)
            do throws(ConfigurationError) {
                _ = try WorkerConfigurationLoader.load(file: file, environment: [:])
                return "loaded with \(testCase.path) broken"
            } catch {
                guard error.origin == .file(file) else { return "origin \(error.origin)" }
                return error.key == testCase.path || error.key.hasPrefix(testCase.path + ".")
                    ? nil : "named \(error.key): \(error)"
            }
        }
    }

    /// Environment variables and invalid text for each.
    static func brokenVariable(using random: inout some RandomNumberGenerator) -> (name: String, value: String) {
        let word = letters(6...10, using: &random)
        let choices: [(String, String)] = [
            ("PAYOUT_ADMIN_PORT", String(Int.random(in: 65_536...Int.max, using: &random))),
            ("PAYOUT_ADMIN_PORT", word),
            ("PAYOUT_MAX_IN_FLIGHT", String(-Int.random(in: 0...Int.max, using: &random))),
            ("PAYOUT_MAX_IN_FLIGHT", "1.5"),
            ("PAYOUT_JSON_LOGS", word),
            ("PAYOUT_LOG_LEVEL", word),
            ("PAYOUT_KAFKA_BROKERS", "\(word):\(Int.random(in: 65_536...999_999, using: &random))"),
            ("PAYOUT_KAFKA_BROKERS", "\(word) b:9092"),
            ("PAYOUT_KAFKA_COMMANDS_TOPIC", word + [" ", "/", "#", "é", "😀"].randomElement(using: &random)!),
            ("PAYOUT_KAFKA_STATUS_TOPIC", String(repeating: "t", count: Int.random(in: 250...400, using: &random))),
            ("PAYOUT_KAFKA_DEAD_LETTER_TOPIC", ".."),
            ("DOLLR_BASE_URL", "ftp://\(word).example"),
            ("DOLLR_BASE_URL", word),
            ("MERCHANT_PASSCODE_PHONE", String(Int.random(in: 1...9_999_999, using: &random))),
            ("PAYOUT_STORE_URL", "mysql://\(word)"),
            ("PAYOUT_STORE_URL", "sqlite://\(word).db"),
            ("PAYOUT_\(word.uppercased())", "1"),
            ("PAYOUT_KAFKA_PROPERTY_NO_SUCH_\(word.uppercased())", "1"),
            ("PAYOUT_KAFKA_PROPERTY_LINGER_MS", word),
            ("PAYOUT_KAFKA_PROPERTY_SECURITY_PROTOCOL", word),
        ]
        return choices.randomElement(using: &random)!
    }

    @Test("one variable of the environment broken at random, among valid ones: the error names it and not its value")
    func brokenVariable() {
        let valid: [(String, String)] = [
            ("PAYOUT_KAFKA_GROUP_ID", "replicas"), ("PAYOUT_ADMIN_PORT", "9191"), ("PAYOUT_LOG_LEVEL", "debug"),
            ("PAYOUT_KAFKA_PROPERTY_SESSION_TIMEOUT_MS", "6000"), ("DOLLR_CLIENT_ID", "merchant-7"),
        ]
        let cases = Generator<[String: String], Shrink.None<[String: String]>> { rng in
            var environment = Dictionary(
                valid.shuffled(using: &rng).prefix(Int.random(in: 0...3, using: &rng)),
                uniquingKeysWith: { $1 }
            )
            let (name, value) = Self.brokenVariable(using: &rng)
            environment[name] = value
            environment["BROKEN"] = name  // not PAYOUT_*: ignored by the loader; tells the check which one
            return environment
        }
        SeededProperty.check(cases, count: 300, seed: 8) { environment in
            let name = environment["BROKEN"]!
            let value = environment[name]!
            do throws(ConfigurationError) {
                _ = try WorkerConfigurationLoader.load(file: nil, environment: environment)
                return "loaded with \(name) broken"
            } catch {
                if error.origin != .environment || error.key != name { return "named \(error.key): \(error)" }
                let quoted = value.count >= 6 && value.contains(where: \.isLetter) && error.reason.contains(value)
                return quoted ? "repeats the value: \(error)" : nil
            }
        }
    }
}
