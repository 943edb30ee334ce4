import DollrClient
import Foundation
import PayoutEngine
import PropertyBased

/// A payout command record built from chosen values, with the command those values must decode to:
/// the oracle is the generation itself, not a second decoder. Mutations then break one part of it
/// at a time and say what the rejection must be (see ``CommandMutation``).
struct CommandDraft: Sendable {
    var key: [UInt8]?
    var members: [JSONText.Member]
    /// What a decoder with the default ``CommandPolicy`` must return for the unmutated record.
    var command: PayoutCommand
    /// The reference_id as written in the record (either case).
    var referenceText: String

    static let policy = CommandPolicy()

    // MARK: Valid commands

    static func valid(using random: inout Xoshiro) -> CommandDraft {
        let reference = randomUUIDv4(using: &random)
        let referenceText = Bool.random(using: &random) ? reference.uuidString.lowercased() : reference.uuidString
        let currency: CurrencyCode = Bool.random(using: &random) ? .usd : .lrd
        let maximum = policy.maximumAmounts[currency]!.minorUnits
        let minor: Int64 =
            switch Int.random(in: 0..<6, using: &random) {
            case 0: 1
            case 1: maximum
            case 2, 3: Int64.random(in: 1...10_000, using: &random)
            default: Int64.random(in: 1...maximum, using: &random)
            }
        var members: [JSONText.Member] = [
            .init(name: "reference_id", value: .string(referenceText)),
            .init(name: "currency", value: .string(currency.code)),
            .init(name: "amount", value: amountText(minor: minor, using: &random)),
        ]
        let recipient: Recipient
        if Bool.random(using: &random) {
            let account = positiveInteger(using: &random)
            members.append(.init(name: "payout_account_id", value: .number(String(account))))
            recipient = .existingAccount(id: account)
        } else {
            let (text, details) = recipientDetails(using: &random)
            members.append(.init(name: "recipient", value: text))
            recipient = .newAccount(details)
        }
        var requestedAt: String?
        switch Int.random(in: 0..<3, using: &random) {
        case 0: break
        case 1: members.append(.init(name: "requested_at", value: .null))
        default:
            requestedAt = dateTime(using: &random)
            members.append(.init(name: "requested_at", value: .string(requestedAt!)))
        }
        var metadata: [String: String] = [:]
        switch Int.random(in: 0..<3, using: &random) {
        case 0: break
        case 1: members.append(.init(name: "metadata", value: .null))
        default:
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                metadata[text(from: metadataPool, upTo: 6, using: &random)] = text(
                    from: metadataPool,
                    upTo: 12,
                    using: &random
                )
            }
            members.append(
                .init(name: "metadata", value: .object(metadata.map { .init(name: $0.key, value: .string($0.value)) }))
            )
        }
        // Fields upstream may add before we read them are ignored, whatever they hold.
        for index in 0..<Int.random(in: 0...2, using: &random) {
            members.append(.init(name: "x_future_\(index)", value: anyValue(depth: 3, using: &random)))
        }
        let key: [UInt8]? =
            switch Int.random(in: 0..<3, using: &random) {
            case 0: nil
            case 1: Array(referenceText.utf8)
            default: Array((Bool.random(using: &random) ? referenceText.uppercased() : referenceText.lowercased()).utf8)
            }
        let command = PayoutCommand(
            referenceID: ReferenceID(reference),
            amount: Money(minorUnits: minor, currency: currency),
            recipient: recipient,
            requestedAt: requestedAt,
            metadata: metadata
        )
        return CommandDraft(
            key: key,
            members: members.shuffled(using: &random),
            command: command,
            referenceText: referenceText
        )
    }

    /// The record's value bytes, rendered with random whitespace and escapes.
    func value(using random: inout Xoshiro) -> [UInt8] {
        JSONText.object(members).render(using: &random)
    }

    var isAccountForm: Bool { members[path: ["payout_account_id"]] != nil }

    // MARK: Field values

    static func randomUUIDv4(using random: inout Xoshiro) -> UUID {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
        bytes[8] = bytes[8] & 0x3F | 0x80  // RFC 4122 variant
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            )
        )
    }

    /// `minor` cents in one of the forms that mean exactly that: `12.30`, `12.3`, `12`, `12.300`,
    /// `0012.30` (text only), as a JSON string or number.
    static func amountText(minor: Int64, using random: inout Xoshiro) -> JSONText {
        let integer = minor / 100
        let fraction = minor % 100
        let twoDigits = fraction < 10 ? "0\(fraction)" : "\(fraction)"
        var forms = [
            "\(integer).\(twoDigits)",
            "\(integer).\(twoDigits)" + String(repeating: "0", count: Int.random(in: 1...3, using: &random)),
        ]
        if fraction % 10 == 0 { forms.append("\(integer).\(fraction / 10)") }
        if fraction == 0 { forms.append("\(integer)") }
        let form = forms.randomElement(using: &random)!
        switch Int.random(in: 0..<3, using: &random) {
        case 0: return .number(form)
        case 1: return .string("00" + form)
        default: return .string(form)
        }
    }

    static func positiveInteger(using random: inout Xoshiro) -> Int {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: 1
        case 1: Int.max
        case 2: Int.random(in: 1...1_000_000, using: &random)
        default: Int.random(in: 1...Int.max, using: &random)
        }
    }

    static func recipientDetails(using random: inout Xoshiro) -> (JSONText, RecipientDetails) {
        let name =
            Int.random(in: 0..<10, using: &random) == 0
            ? String(repeating: "é", count: 200)  // the longest name allowed
            : (0..<Int.random(in: 1...4, using: &random)).map { _ in
                text(from: namePool, upTo: 10, using: &random, atLeast: 1)
            }
            .joined(separator: " ")
        let phone =
            String(Int.random(in: 1...9, using: &random))
            + String(
                (1..<Int.random(in: 8...15, using: &random)).map { _ in
                    Character(String(Int.random(in: 0...9, using: &random)))
                }
            )
        let provider = PaymentProvider.documented.randomElement(using: &random)!
        let method = PaymentMethod.documented.randomElement(using: &random)!
        let partyID = positiveInteger(using: &random)
        var countryCode: String?
        // Blanks around a string field are trimmed, so padded values mean the same.
        func padded(_ text: String) -> JSONText {
            Int.random(in: 0..<5, using: &random) == 0 ? .string("  \(text) ") : .string(text)
        }
        var members: [JSONText.Member] = [
            .init(name: "account_name", value: padded(name)),
            .init(name: "party_id", value: .number(String(partyID))),
            .init(name: "phone", value: padded(phone)),
            .init(name: "provider", value: padded(provider.rawValue)),
            .init(name: "method", value: padded(method.rawValue)),
        ]
        switch Int.random(in: 0..<3, using: &random) {
        case 0: break
        case 1: members.append(.init(name: "country_code", value: .null))
        default:
            countryCode = String(
                (0..<2).map { _ in Character(Unicode.Scalar(UInt8.random(in: 65...90, using: &random))) }
            )
            members.append(.init(name: "country_code", value: padded(countryCode!)))
        }
        let details = RecipientDetails(
            accountName: name,
            partyID: partyID,
            phone: try! PhoneNumber(phone),
            provider: provider,
            method: method,
            countryCode: countryCode
        )
        return (.object(members.shuffled(using: &random)), details)
    }

    /// An RFC 3339 date-time with every field in range.
    static func dateTime(using random: inout Xoshiro) -> String {
        func digits(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: width - text.count) + text
        }
        var text =
            digits(Int.random(in: 0...9999, using: &random), 4) + "-"
            + digits(Int.random(in: 1...12, using: &random), 2)
            + "-" + digits(Int.random(in: 1...31, using: &random), 2) + (Bool.random(using: &random) ? "T" : "t")
            + digits(Int.random(in: 0...23, using: &random), 2) + ":"
            + digits(Int.random(in: 0...59, using: &random), 2)
            + ":" + digits(Int.random(in: 0...60, using: &random), 2)
        if Bool.random(using: &random) { text += "." + digits(Int.random(in: 0...999_999_999, using: &random), 9) }
        switch Int.random(in: 0..<3, using: &random) {
        case 0: text += "Z"
        case 1: text += "z"
        default:
            text +=
                (Bool.random(using: &random) ? "+" : "-") + digits(Int.random(in: 0...23, using: &random), 2) + ":"
                + digits(Int.random(in: 0...59, using: &random), 2)
        }
        return text
    }

    /// Whole characters of many scripts: accents composed and decomposed, right-to-left, CJK,
    /// emoji sequences, and a scalar beyond the BMP (a surrogate pair when escaped).
    static let namePool = [
        "a", "Z", "q", "é", "e\u{301}", "ñ", "ü", "ß", "Ø", "Ω", "Ж", "ю", "ع", "ب", "ש", "中", "文", "한", "ह", "ก",
        "👩‍💻", "🇱🇷", "👍🏽", "𝄞", "’", "-", "'", ".", "\u{200F}", "\u{200C}",  // RLM and ZWNJ: real names use them
    ]
    /// Metadata is opaque text: any scalar is allowed, control characters and NUL included.
    static let metadataPool =
        namePool + ["\u{0}", "\n", "\u{7}", "\u{1F}", "\u{7F}", "\u{85}", " ", "\"", "\\", "/", "{"]

    static func text(
        from pool: [String],
        upTo count: Int,
        using random: inout Xoshiro,
        atLeast minimum: Int = 0
    ) -> String {
        (0..<Int.random(in: minimum...count, using: &random)).map { _ in pool.randomElement(using: &random)! }.joined()
    }

    /// Any JSON value, nested at most `depth` deep.
    static func anyValue(depth: Int, using random: inout Xoshiro) -> JSONText {
        switch Int.random(in: 0..<(depth > 0 ? 7 : 5), using: &random) {
        case 0: .null
        case 1: .bool(Bool.random(using: &random))
        case 2:
            .number(["0", "-1", "1.5e300", "123456789012345678901234567890", "-0.0E-5"].randomElement(using: &random)!)
        case 3, 4: .string(text(from: metadataPool, upTo: 8, using: &random))
        case 5:
            .array((0..<Int.random(in: 0...3, using: &random)).map { _ in anyValue(depth: depth - 1, using: &random) })
        default:
            .object(
                (0..<Int.random(in: 0...3, using: &random)).map {
                    .init(name: "m\($0)", value: anyValue(depth: depth - 1, using: &random))
                }
            )
        }
    }
}
