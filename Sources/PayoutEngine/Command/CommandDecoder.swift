import CivilTime
import DollrClient
import Foundation

/// Turns a Kafka record (key and value bytes) into a ``PayoutCommand`` or a precise
/// ``CommandRejection``. Pure and total: any byte sequence yields one or the other, never a crash.
///
/// Rules beyond the field formats:
/// - Unknown fields are ignored (upstream may add fields before we read them).
/// - Amounts are decimal strings or JSON numbers, read from their literal text, never through a
///   binary floating point value; more fraction digits than the currency has are refused, not rounded.
/// - The record key, when present, must equal the reference_id: the key decides the partition and
///   therefore the order in which duplicates arrive, so a record whose key lies is refused.
public struct CommandDecoder: Sendable {
    public var policy: CommandPolicy

    public init(policy: CommandPolicy = CommandPolicy()) {
        self.policy = policy
    }

    public func decode(key: [UInt8]?, value: [UInt8]?) -> Result<PayoutCommand, CommandRejection> {
        Result { () throws(CommandRejection) in try decodeOrThrow(key: key, value: value) }
    }

    private func decodeOrThrow(key: [UInt8]?, value: [UInt8]?) throws(CommandRejection) -> PayoutCommand {
        guard let value, !value.isEmpty else {
            throw CommandRejection(referenceID: nil, field: nil, message: "record has no value")
        }
        guard value.count <= policy.maximumRecordBytes else {
            throw CommandRejection(
                referenceID: nil,
                field: nil,
                message: "record of \(value.count) bytes exceeds the \(policy.maximumRecordBytes)-byte limit"
            )
        }
        guard String(validating: value, as: UTF8.self) != nil else {
            throw CommandRejection(referenceID: nil, field: nil, message: "record value is not valid UTF-8")
        }
        let document: JSONValue
        do {
            // A command nests two levels (recipient, metadata); 16 leaves room for unknown fields.
            document = try JSONParser.parse(value, maximumDepth: 16, duplicateNames: .refuse)
        } catch {
            throw CommandRejection(referenceID: nil, field: nil, message: "record value is not JSON: \(error)")
        }
        guard case .object(let object) = document else {
            throw CommandRejection(
                referenceID: nil,
                field: nil,
                message: "record value is a JSON \(document.typeName), not an object"
            )
        }

        let referenceID = try readReferenceID(object)
        // From here on the command can be answered with a REJECTED event for its reference_id.
        func reject(_ field: String?, _ message: String) -> CommandRejection {
            CommandRejection(referenceID: referenceID, field: field, message: message)
        }

        if let key {
            guard String(decoding: key, as: UTF8.self).lowercased() == referenceID.text else {
                throw reject(nil, "record key differs from reference_id; the key must be the reference_id")
            }
        }

        let currency = try readCurrency(object, reject)
        let amount = try readAmount(object, currency: currency, reject)
        let recipient = try readRecipient(object, reject)

        var requestedAt: String?
        switch object["requested_at"] {
        case nil, .null?: break
        case .string(let text)?:
            guard Timestamp.parse(text) != nil else { throw reject("requested_at", "must be an RFC 3339 date-time") }
            requestedAt = text
        case let other?: throw reject("requested_at", "must be a string, not a \(other.typeName)")
        }

        var metadata: [String: String] = [:]
        switch object["metadata"] {
        case nil, .null?: break
        case .object(let members)?:
            for (position, member) in members.members.enumerated() {
                guard case .string(let text) = member.value else {
                    // Named by position: a key is whatever upstream sent, and may hold personal data.
                    throw reject(
                        "metadata",
                        "values must be strings; member \(position + 1) is a \(member.value.typeName)"
                    )
                }
                metadata[member.key] = text
            }
        case let other?: throw reject("metadata", "must be an object of strings, not a \(other.typeName)")
        }

        return PayoutCommand(
            referenceID: referenceID,
            amount: amount,
            recipient: recipient,
            requestedAt: requestedAt,
            metadata: metadata
        )
    }

    private func readReferenceID(_ object: JSONObject) throws(CommandRejection) -> ReferenceID {
        guard let value = object["reference_id"] else {
            throw CommandRejection(referenceID: nil, field: "reference_id", message: "is required")
        }
        guard case .string(let text) = value else {
            throw CommandRejection(
                referenceID: nil,
                field: "reference_id",
                message: "must be a string, not a \(value.typeName)"
            )
        }
        let referenceID: ReferenceID
        do {
            referenceID = try ReferenceID(parsing: text)
        } catch {
            throw CommandRejection(
                referenceID: nil,
                field: "reference_id",
                message: "must be a UUID (8-4-4-4-12 hex digits)"
            )
        }
        // Version 4 (random) with the RFC 4122 variant, as Dollr documents for reference_id.
        let bytes = referenceID.uuid.uuid
        guard bytes.6 >> 4 == 4, bytes.8 >> 6 == 0b10 else {
            throw CommandRejection(referenceID: nil, field: "reference_id", message: "must be a version 4 UUID")
        }
        return referenceID
    }

    private func readCurrency(
        _ object: JSONObject,
        _ reject: (String?, String) -> CommandRejection
    ) throws(CommandRejection) -> CurrencyCode {
        guard let value = object["currency"] else { throw reject("currency", "is required") }
        guard case .string(let text) = value else {
            throw reject("currency", "must be a string, not a \(value.typeName)")
        }
        guard let currency = try? CurrencyCode(text) else { throw reject("currency", "must match ^[A-Z]{3}$") }
        guard policy.allowedCurrencies.contains(currency) else {
            let allowed = policy.allowedCurrencies.map(\.code).sorted().joined(separator: ", ")
            throw reject("currency", "\(text) is not accepted (accepted: \(allowed))")
        }
        return currency
    }

    private func readAmount(
        _ object: JSONObject,
        currency: CurrencyCode,
        _ reject: (String?, String) -> CommandRejection
    ) throws(CommandRejection) -> Money {
        guard let value = object["amount"] else { throw reject("amount", "is required") }
        let text: String
        switch value {
        case .string(let string): text = string
        case .number(let literal): text = literal
        default: throw reject("amount", "must be a decimal string or number, not a \(value.typeName)")
        }
        let amount: Money
        do {
            amount = try Money(parsing: text, currency: currency)
        } catch {
            throw reject("amount", "\(error)")
        }
        guard amount.minorUnits > 0 else { throw reject("amount", "must be greater than zero") }
        if let maximum = policy.maximumAmounts[currency], maximum < amount {
            throw reject("amount", "exceeds the maximum of \(maximum) \(currency)")
        }
        return amount
    }

    private func readRecipient(
        _ object: JSONObject,
        _ reject: (String?, String) -> CommandRejection
    ) throws(CommandRejection) -> Recipient {
        let account = object["payout_account_id"].flatMap { $0 == .null ? nil : $0 }
        let details = object["recipient"].flatMap { $0 == .null ? nil : $0 }
        switch (account, details) {
        case (nil, nil): throw reject(nil, "one of payout_account_id or recipient is required")
        case (.some, .some): throw reject(nil, "payout_account_id and recipient are mutually exclusive")
        case (let account?, nil):
            guard case .number(let literal) = account, let id = Int(literal), id > 0 else {
                throw reject("payout_account_id", "must be a positive integer")
            }
            return .existingAccount(id: id)
        case (nil, let details?):
            guard case .object(let recipient) = details else {
                throw reject("recipient", "must be an object, not a \(details.typeName)")
            }
            return .newAccount(try readRecipientDetails(recipient, reject))
        }
    }

    /// Characters that let a name rewrite the line it is shown on (a log line, an operator's
    /// screen, Dollr's dashboard): controls, line and paragraph separators, and the bidirectional
    /// embeddings, overrides and isolates of "Trojan Source". Marks that right-to-left scripts
    /// need (LRM, RLM) and joiners (ZWJ, ZWNJ) stay allowed: real names use them.
    static func isDisruptive(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        }
    }

    private func readRecipientDetails(
        _ object: JSONObject,
        _ reject: (String?, String) -> CommandRejection
    ) throws(CommandRejection) -> RecipientDetails {
        /// The member's text, trimmed, or nil when it is missing or null.
        func optionalString(_ key: String, maxLength: Int = 200) throws(CommandRejection) -> String? {
            switch object[key] {
            case nil, .null?:
                return nil
            case .string(let text)?:
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty else { throw reject("recipient.\(key)", "must not be empty") }
                guard trimmed.count <= maxLength else {
                    throw reject("recipient.\(key)", "is longer than \(maxLength) characters")
                }
                guard !trimmed.unicodeScalars.contains(where: Self.isDisruptive) else {
                    throw reject(
                        "recipient.\(key)",
                        "must not contain control, line-separator or bidirectional-override characters"
                    )
                }
                return trimmed
            case let other?:
                throw reject("recipient.\(key)", "must be a string, not a \(other.typeName)")
            }
        }

        /// The member's text, trimmed; missing or null is refused.
        func string(_ key: String, maxLength: Int = 200) throws(CommandRejection) -> String {
            guard let text = try optionalString(key, maxLength: maxLength) else {
                throw reject("recipient.\(key)", "is required")
            }
            return text
        }

        let accountName = try string("account_name")
        guard case .number(let partyLiteral)? = object["party_id"], let partyID = Int(partyLiteral), partyID > 0 else {
            throw reject("recipient.party_id", object["party_id"] == nil ? "is required" : "must be a positive integer")
        }
        let phoneText = try string("phone", maxLength: 15)
        guard let phone = try? PhoneNumber(phoneText) else {
            throw reject("recipient.phone", "must be 8 to 15 digits in E.164 form without '+'")
        }
        let provider = PaymentProvider(rawValue: try string("provider", maxLength: 40))
        guard PaymentProvider.documented.contains(provider) else {
            throw reject(
                "recipient.provider",
                "is not one of \(PaymentProvider.documented.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let method = PaymentMethod(rawValue: try string("method", maxLength: 40))
        guard PaymentMethod.documented.contains(method) else {
            throw reject(
                "recipient.method",
                "is not one of \(PaymentMethod.documented.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let countryCode = try optionalString("country_code", maxLength: 2)
        if let countryCode, !(countryCode.count == 2 && countryCode.allSatisfy { $0.isASCII && $0.isUppercase }) {
            throw reject("recipient.country_code", "must be two upper-case letters (ISO 3166-1 alpha-2)")
        }
        return RecipientDetails(
            accountName: accountName,
            partyID: partyID,
            phone: phone,
            provider: provider,
            method: method,
            countryCode: countryCode
        )
    }
}
