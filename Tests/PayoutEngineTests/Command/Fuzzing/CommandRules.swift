import DollrClient
import Foundation
import PayoutEngine

/// The command rules of docs/architecture.md, written again as predicates over a decoded command: whatever the
/// decoder accepts must satisfy every one, however the record was produced.
enum CommandRules {
    static func violations(
        of command: PayoutCommand,
        key: [UInt8]?,
        policy: CommandPolicy = CommandPolicy()
    ) -> [String] {
        var problems: [String] = []
        let uuid = command.referenceID.uuid.uuid
        if uuid.6 >> 4 != 4 || uuid.8 >> 6 != 0b10 { problems.append("reference_id is not a version 4 UUID") }
        if let key, String(decoding: key, as: UTF8.self).lowercased() != command.referenceKey {
            problems.append("key differs from reference_id")
        }
        let amount = command.amount
        if !policy.allowedCurrencies.contains(amount.currency) { problems.append("currency not allowed") }
        if amount.minorUnits <= 0 { problems.append("amount not above zero") }
        if let maximum = policy.maximumAmounts[amount.currency], amount.minorUnits > maximum.minorUnits {
            problems.append("amount above the maximum")
        }
        switch command.recipient {
        case .existingAccount(let id): if id <= 0 { problems.append("payout_account_id not positive") }
        case .newAccount(let details):
            problems += text("account_name", details.accountName, maximum: 200)
            if details.partyID <= 0 { problems.append("party_id not positive") }
            let phone = details.phone.revealed
            if !(8...15).contains(phone.utf8.count) || !phone.utf8.allSatisfy({ (48...57).contains($0) })
                || phone.first == "0"
            {
                problems.append("phone not 8 to 15 digits")
            }
            if !PaymentProvider.documented.contains(details.provider) { problems.append("provider not documented") }
            if !PaymentMethod.documented.contains(details.method) { problems.append("method not documented") }
            if let country = details.countryCode,
                !(country.utf8.count == 2 && country.utf8.allSatisfy({ (65...90).contains($0) }))
            {
                problems.append("country_code not two upper-case letters")
            }
        }
        let dateTime =
            /[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])/
        if let requestedAt = command.requestedAt, requestedAt.wholeMatch(of: dateTime) == nil {
            problems.append("requested_at not an RFC 3339 date-time")
        }
        return problems
    }

    private static func text(_ field: String, _ value: String, maximum: Int) -> [String] {
        var problems: [String] = []
        if value.isEmpty || value.count > maximum { problems.append("\(field) empty or too long") }
        // Blanks (space separators and tab) around the text are trimmed by the decoder.
        let blank = { (scalar: Unicode.Scalar) in scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
        }
        if let first = value.unicodeScalars.first, let last = value.unicodeScalars.last, blank(first) || blank(last) {
            problems.append("\(field) not trimmed")
        }
        let disruptive = { (scalar: Unicode.Scalar) in
            [.control, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory)
                || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        }
        if value.unicodeScalars.contains(where: disruptive) {
            problems.append("\(field) has a control, separator or bidi-override character")
        }
        return problems
    }
}
