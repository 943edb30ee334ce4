/// Why decimal text is not an amount of the given currency.
public enum MoneyParsingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not plain decimal text (`"1e5"`, `"+1"`, `"1,5"`, `""`).
    case notANumber(String)
    /// A leading minus sign: amounts parsed from text are never negative.
    case negative
    /// Non-zero digits beyond the currency's minor digits; the amount would have to be rounded.
    case tooManyFractionDigits(currency: CurrencyCode, allowed: Int)
    /// Larger than `Int64.max` minor units.
    case overflow

    public var description: String {
        switch self {
        // The text is not repeated: it may come from a record, and be anything (a phone number).
        case .notANumber:
            "not a plain decimal number (digits, optionally '.' and fraction digits; no sign, exponent or spaces)"
        case .negative: "amount must not be negative"
        case .tooManyFractionDigits(let currency, let allowed):
            "\(currency) amounts have at most \(allowed) fraction digit\(allowed == 1 ? "" : "s")"
        case .overflow: "amount is too large"
        }
    }
}

/// Why two amounts cannot be combined.
public enum MoneyArithmeticError: Error, Sendable, Hashable, CustomStringConvertible {
    case currencyMismatch(CurrencyCode, CurrencyCode)
    case overflow

    public var description: String {
        switch self {
        case .currencyMismatch(let lhs, let rhs): "cannot combine \(lhs) with \(rhs)"
        case .overflow: "amount overflow"
        }
    }
}
