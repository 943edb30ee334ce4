import DollrClient
import Foundation
import PayoutEngine
import PropertyBased

/// One way to break a valid record, and the rejection it must cause.
struct CommandMutation: Sendable, CustomStringConvertible {
    /// What the decoder must say about the broken record.
    enum Outcome: Sendable, Hashable {
        /// REJECTED for its reference_id, naming this field.
        case field(String)
        /// REJECTED for its reference_id, about the record as a whole; the message says `fragment`.
        case record(fragment: String)
        /// No usable reference_id: only the dead-letter path. `field` is `reference_id` when that
        /// member is at fault, `nil` when the record is not a readable JSON object.
        case unidentified(field: String?)
    }

    /// Parts of a record that one mutation each may break; mutations of different parts cannot
    /// undo one another, so a record with several of them is still invalid.
    enum Part: CaseIterable {
        case identity, currency, amount, recipient, requestedAt, metadata, syntax
    }

    var label: String
    var outcome: Outcome
    fileprivate var change: @Sendable (inout CommandDraft, inout [UInt8], inout Xoshiro) -> Void

    var description: String { label }

    /// A mutation of `part` that applies to `draft` (for example, a recipient field only when the
    /// record names a recipient).
    static func random(_ part: Part, for draft: CommandDraft, using random: inout Xoshiro) -> CommandMutation {
        switch part {
        case .identity: identity(using: &random)
        case .currency: currency(using: &random)
        case .amount: amount(draft, using: &random)
        case .recipient: recipient(draft, using: &random)
        case .requestedAt: member("requested_at", wrongTypes + requestedAtTexts.map { .string($0) }, using: &random)
        case .metadata: metadata(using: &random)
        case .syntax: syntax(using: &random)
        }
    }

    /// Applies the mutations to the draft, then renders the value (byte-level mutations last).
    static func apply(
        _ mutations: [CommandMutation],
        to draft: CommandDraft,
        using random: inout Xoshiro
    ) -> (key: [UInt8]?, value: [UInt8]) {
        var draft = draft
        var tail: [UInt8] = []
        var syntaxChanges: [CommandMutation] = []
        for mutation in mutations {
            if case .unidentified(field: nil) = mutation.outcome {
                syntaxChanges.append(mutation)
                continue
            }
            mutation.change(&draft, &tail, &random)
        }
        var value = draft.value(using: &random)
        for mutation in syntaxChanges {
            var bytes = value
            mutation.change(&draft, &bytes, &random)
            value = bytes
        }
        return (draft.key, value + tail)
    }

    // MARK: Catalogue

    /// Wrong JSON types for any field (missing and null are listed per field: they mean different things).
    static let wrongTypes: [JSONText] = [.bool(true), .array([]), .array([.string("USD")]), .object([]), .number("7")]

    private static func member(
        _ name: String,
        _ values: [JSONText],
        field: String? = nil,
        using random: inout Xoshiro
    ) -> CommandMutation {
        let value = values.randomElement(using: &random)!
        return CommandMutation(label: "\(name) = \(value)", outcome: .field(field ?? name)) { draft, _, _ in
            draft.members[path: name.split(separator: ".").map(String.init)] = value
        }
    }

    private static func missing(_ path: [String]) -> CommandMutation {
        CommandMutation(label: "\(path.joined(separator: ".")) missing", outcome: .field(path.joined(separator: "."))) {
            draft,
            _,
            _ in
            draft.members[path: path] = nil
        }
    }

    static func identity(using random: inout Xoshiro) -> CommandMutation {
        let broken: [(String, @Sendable (String) -> JSONText?)] = [
            ("missing", { _ in nil }), ("null", { _ in .null }), ("number", { _ in .number("123") }),
            ("boolean", { _ in .bool(true) }), ("array", { .array([.string($0)]) }), ("empty", { _ in .string("") }),
            ("not a UUID", { _ in .string("not-a-uuid") }),
            ("version 1", { .string(replacing($0, at: 14, with: "1")) }),
            ("version 5", { .string(replacing($0, at: 14, with: "5")) }),
            ("version 0", { .string(replacing($0, at: 14, with: "0")) }),
            ("variant 0xxx", { .string(replacing($0, at: 19, with: "7")) }),
            ("variant 110x", { .string(replacing($0, at: 19, with: "c")) }),
            ("35 characters", { .string(String($0.dropLast())) }),
            ("37 characters", { .string($0 + "a") }),
            ("non-hex digit", { .string(replacing($0, at: 0, with: "g")) }),
            ("braces", { .string("{\($0)}") }),
            ("urn prefix", { .string("urn:uuid:\($0)") }),
            ("no hyphens", { .string($0.replacingOccurrences(of: "-", with: "")) }),
            ("hyphen moved", { .string(replacing(replacing($0, at: 8, with: "a"), at: 7, with: "-")) }),
            ("leading blank", { .string(" " + $0.dropLast()) }),
            ("NUL inside", { .string(replacing($0, at: 3, with: "\u{0}")) }),
            ("fullwidth digit", { .string(replacing($0, at: 0, with: "１")) }),
            ("Arabic-Indic digit", { .string(replacing($0, at: 0, with: "٣")) }),
            ("emoji", { .string(replacing($0, at: 0, with: "😀")) }),
        ]
        if Int.random(in: 0..<3, using: &random) == 0 {
            // The key lies: the record names one reference_id and is keyed (partitioned) by another.
            let keys: [(String, @Sendable (String) -> [UInt8])] = [
                ("another UUID", { _ in Array(UUID().uuidString.lowercased().utf8) }),
                ("reference_id with a blank", { Array(($0 + " ").utf8) }),
                ("reference_id in braces", { Array("{\($0)}".utf8) }),
                ("empty", { _ in [] }),
                ("not UTF-8", { Array($0.utf8.dropLast()) + [0xFF] }),
                ("reference_id with a NUL", { Array($0.utf8) + [0] }),
            ]
            let (label, key) = keys.randomElement(using: &random)!
            return CommandMutation(label: "key: \(label)", outcome: .record(fragment: "key")) { draft, _, _ in
                draft.key = key(draft.referenceText)
            }
        }
        let (label, value) = broken.randomElement(using: &random)!
        return CommandMutation(label: "reference_id: \(label)", outcome: .unidentified(field: "reference_id")) {
            draft,
            _,
            _ in
            draft.members[path: ["reference_id"]] = value(draft.referenceText)
        }
    }

    static func currency(using random: inout Xoshiro) -> CommandMutation {
        if Int.random(in: 0..<8, using: &random) == 0 { return missing(["currency"]) }
        let texts = ["usd", "Usd", "EUR", "JPY", "US", "USDD", "", " USD", "ÚSD", "U\u{0}D", "ＵＳＤ", "U$D"]
        return member("currency", wrongTypes + [.null] + texts.map { .string($0) }, using: &random)
    }

    static func amount(_ draft: CommandDraft, using random: inout Xoshiro) -> CommandMutation {
        if Int.random(in: 0..<10, using: &random) == 0 { return missing(["amount"]) }
        let maximum = CommandDraft.policy.maximumAmounts[draft.command.amount.currency]!
        let overMaximum = Money(minorUnits: maximum.minorUnits + 1, currency: maximum.currency).description
        let texts = [
            "-1.00", "-0", "-0.01", "0", "0.00", "000", "1.001", "0.001", "0.009", overMaximum,
            "99999999999999999999999",
            "92233720368547758.08", "+1.00", "1e2", "1E2", "1.5e1", "NaN", "Infinity", "-Infinity", "0x10", " 1.00",
            "1.00 ", "1,00", "1.", ".5", "1..0", "", "١٢", "１", "1_000", "½", "1.0\u{0}", "1.0\n", "1 000",
        ]
        let numbers = [
            "0", "-1", "-0", "0.001", "1e2", "1E-2", "1.5e1", overMaximum, "100000000000000000000000", "1.001", "-0.0",
        ]
        return member(
            "amount",
            wrongTypes.filter { $0 != .number("7") } + [.null] + texts.map { .string($0) }
                + numbers.map { .number($0) },
            using: &random
        )
    }

    static func recipient(_ draft: CommandDraft, using random: inout Xoshiro) -> CommandMutation {
        let nonPositive =
            ["0", "-1", "1.5", "1e3", "9223372036854775808", "-9223372036854775809"].map { JSONText.number($0) }
            + [.string("42"), .bool(true), .array([]), .object([])]
        switch Int.random(in: 0..<6, using: &random) {
        case 0:
            // Both forms, or neither.
            if Bool.random(using: &random) {
                return CommandMutation(
                    label: "payout_account_id and recipient",
                    outcome: .record(fragment: "mutually exclusive")
                ) { draft, _, random in
                    if draft.isAccountForm {
                        draft.members[path: ["recipient"]] = CommandDraft.recipientDetails(using: &random).0
                    } else {
                        draft.members[path: ["payout_account_id"]] = .number("7")
                    }
                }
            }
            let nulls = Bool.random(using: &random)
            return CommandMutation(
                label: "neither payout_account_id nor recipient",
                outcome: .record(fragment: "one of")
            ) { draft, _, _ in
                draft.members[path: ["payout_account_id"]] = nulls ? .null : nil
                draft.members[path: ["recipient"]] = nulls ? .null : nil
            }
        case 1 where draft.isAccountForm:
            return member("payout_account_id", nonPositive, using: &random)
        case 1:
            return member("recipient", [.string("Ada"), .number("42"), .array([]), .bool(false)], using: &random)
        default:
            if draft.isAccountForm { return member("payout_account_id", nonPositive, using: &random) }
            return recipientField(using: &random)
        }
    }

    /// Strings that break any recipient text field: blank, control characters inside, wrong types.
    static let brokenText: [JSONText] = [
        .string(""), .string("   "), .string("Ad\u{0}a"), .string("Ad\u{7}a"), .string("Ad\na"),
        .string("Ad\u{1B}[31ma"),
        .string("Ad\u{7F}a"), .string("Ad\u{85}a"), .string("Ada\r"), .string("Ad\u{202E}a"), .string("Ad\u{2066}a"),
        .string("Ad\u{2028}a"), .string("Ad\u{2029}a"), .number("1"), .bool(true), .array([]), .object([]),
    ]

    static func recipientField(using random: inout Xoshiro) -> CommandMutation {
        let fields: [(String, [JSONText])] = [
            (
                "account_name",
                brokenText + [.string(String(repeating: "é", count: 201)), .string(String(repeating: "😀", count: 201))]
            ),
            (
                "party_id",
                ["0", "-1", "1.5", "1e2", "9223372036854775808"].map { .number($0) } + [
                    .string("42"), .bool(true), .null,
                ]
            ),
            (
                "phone",
                brokenText
                    + [
                        "2317712", "2317712345678901", "0231771234567", "23177123456a", "231-77123456", "2317 71234567",
                        "٢٣١٧٧١٢٣٤٥٦٧", "２３１７７１２３４５６７", "+", "+0231771234567",
                    ].map { .string($0) } + [.number("231771234567")]
            ),
            (
                "provider",
                brokenText
                    + ["mtn_momo_lbr", "ACME", "MTN MOMO LBR", "MTN_MOMO_LBR\u{301}", "ＭＴＮ_MOMO_LBR", "WALLET"].map {
                        .string($0)
                    }
            ),
            ("method", brokenText + ["wallet", "ACME", "PAWAPAY", "WALLET\u{0}", "CREDIT CARD"].map { .string($0) }),
            ("country_code", brokenText + ["lr", "LBR", "L", "L1", "ÉÉ", "🇱🇷"].map { .string($0) }),
        ]
        let (name, values) = fields.randomElement(using: &random)!
        if name != "country_code", Int.random(in: 0..<8, using: &random) == 0 {
            let nulled = Bool.random(using: &random)
            return CommandMutation(
                label: "recipient.\(name) \(nulled ? "null" : "missing")",
                outcome: .field("recipient.\(name)")
            ) { draft, _, _ in
                draft.members[path: ["recipient", name]] = nulled ? .null : nil
            }
        }
        return member("recipient.\(name)", values, using: &random)
    }

    /// Date-times that are not RFC 3339, or have a field out of range.
    static let requestedAtTexts = [
        "yesterday", "", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-11-32T12:00:00Z", "2026-11-25T24:00:00Z",
        "2026-11-25T12:60:00Z", "2026-11-25T12:00:61Z", "2026-11-25 12:00:00Z", "2026-11-25T12:00:00",
        "2026-11-25T12:00:00+0100", "2026-11-25T12:00:00+24:00", "2026-11-25T12:00:00.Z", "２０２６-11-25T12:00:00Z",
        "2026-11-25T12:00:00Z\u{0}", "2026-11-25T12:00:00Z ", "26-11-25T12:00:00Z",
    ]

    static func metadata(using random: inout Xoshiro) -> CommandMutation {
        if Bool.random(using: &random) {
            return member(
                "metadata",
                [.string("order A-1"), .number("1"), .array([.string("a")]), .bool(true)],
                using: &random
            )
        }
        let name = CommandDraft.text(from: CommandDraft.namePool, upTo: 5, using: &random)
        let value = [JSONText.number("1"), .null, .bool(false), .array([]), .object([])].randomElement(using: &random)!
        return CommandMutation(label: "metadata.\(name) = \(value)", outcome: .field("metadata")) { draft, _, _ in
            var members: [JSONText.Member] = []
            if case .object(let existing)? = draft.members[path: ["metadata"]] {
                members = existing.filter { $0.name != name }
            }
            members.append(.init(name: name, value: value))
            draft.members[path: ["metadata"]] = .object(members)
        }
    }

    /// Records that are not a readable JSON object; these act on the rendered bytes.
    static func syntax(using random: inout Xoshiro) -> CommandMutation {
        func token(_ label: String, _ text: String) -> CommandMutation {
            CommandMutation(label: label, outcome: .unidentified(field: nil)) { draft, bytes, random in
                // The token replaces a string member's value: text no JSON writer produces.
                let names = draft.members.filter { if case .string = $0.value { true } else { false } }.map(\.name)
                let name = names.randomElement(using: &random) ?? "reference_id"
                draft.members[path: [name]] = .token(text)
                bytes = draft.value(using: &random)
            }
        }
        let choices: [CommandMutation] = [
            token("lone high surrogate", #""Ada\ud800""#), token("lone low surrogate", #""\udc00Ada""#),
            token("high surrogate then a letter", #""\ud800\u0041""#), token("raw NUL in a string", "\"Ad\u{0}a\""),
            token("raw newline in a string", "\"Ad\na\""), token("bad escape", #""Ad\xa""#),
            token("short escape", #""\u12""#),
            token("NaN", "NaN"), token("Infinity", "Infinity"), token("hex number", "0x10"),
            token("leading plus", "+1.00"),
            token("leading zero", "01.00"), token("bare fraction", ".5"), token("trailing point", "1."),
            token("single quotes", "'USD'"),
            CommandMutation(label: "duplicate member", outcome: .unidentified(field: nil)) { draft, bytes, random in
                let member = draft.members.randomElement(using: &random)!
                let again = Bool.random(using: &random) ? member.value : .string("other")
                bytes = JSONText.object(draft.members + [.init(name: member.name, value: again)]).render(using: &random)
            },
            CommandMutation(label: "inside an array", outcome: .unidentified(field: nil)) { _, bytes, _ in
                bytes = Array("[".utf8) + bytes + Array("]".utf8)
            },
            CommandMutation(label: "trailing data", outcome: .unidentified(field: nil)) { _, bytes, _ in
                bytes += Array(" x".utf8)
            },
            CommandMutation(label: "truncated", outcome: .unidentified(field: nil)) { _, bytes, random in
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            },
            CommandMutation(label: "invalid UTF-8", outcome: .unidentified(field: nil)) { _, bytes, random in
                bytes.insert(
                    [0xFF, 0xC3, 0xED].randomElement(using: &random)!,
                    at: Int.random(in: 0...bytes.count, using: &random)
                )
            },
            CommandMutation(label: "byte order mark", outcome: .unidentified(field: nil)) { _, bytes, _ in
                bytes = [0xEF, 0xBB, 0xBF] + bytes
            },
        ]
        return choices.randomElement(using: &random)!
    }

    private static func replacing(_ text: String, at offset: Int, with replacement: Character) -> String {
        var characters = Array(text)
        characters[offset] = replacement
        return String(characters)
    }
}
