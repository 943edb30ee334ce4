/// An exact amount of one currency, held as an integer count of the currency's minor units.
///
/// `Money(minorUnits: 10050, currency: .usd)` is USD 100.50. There is no floating point anywhere on its path:
/// parsing reads decimal text digit by digit and ``description`` writes the canonical major-unit text that Dollr's
/// JSON expects. Arithmetic and comparison are only defined within one currency.
public struct Money: Sendable, Hashable, CustomStringConvertible {
    /// The amount in minor units (cents for USD).
    public let minorUnits: Int64
    public let currency: CurrencyCode

    public init(minorUnits: Int64, currency: CurrencyCode) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Zero in `currency`.
    public static func zero(_ currency: CurrencyCode) -> Money {
        Money(minorUnits: 0, currency: currency)
    }

    /// Parses plain decimal text in major units: `"100"`, `"100.5"`, `"100.50"`.
    ///
    /// Accepted: ASCII digits with an optional `.` followed by at least one digit. Fraction digits beyond the
    /// currency's minor digits are accepted only when they are zeros (`"1.500"` is USD 1.50, `"1.505"` is an error),
    /// so no value is ever rounded. Signs, exponents, spaces and separators are refused.
    public init(parsing text: String, currency: CurrencyCode) throws(MoneyParsingError) {
        if text.first == "-" {
            guard Self.isPlainDecimal(text.dropFirst()) else { throw .notANumber(text) }
            throw .negative
        }
        guard Self.isPlainDecimal(Substring(text)) else { throw .notANumber(text) }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integerDigits = parts[0]
        var fractionDigits = parts.count == 2 ? parts[1] : ""
        let allowed = currency.minorDigits
        if fractionDigits.count > allowed {
            guard fractionDigits.dropFirst(allowed).allSatisfy({ $0 == "0" }) else {
                throw .tooManyFractionDigits(currency: currency, allowed: allowed)
            }
            fractionDigits = fractionDigits.prefix(allowed)
        }
        let paddedFraction = fractionDigits + String(repeating: "0", count: allowed - fractionDigits.count)
        var value: Int64 = 0
        // `isPlainDecimal` let only ASCII digits through.
        for byte in (integerDigits + paddedFraction).utf8 {
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(digit)
            guard !overflowA, !overflowB else { throw .overflow }
            value = sum
        }
        self.init(minorUnits: value, currency: currency)
    }

    private static func isPlainDecimal(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }
    }

    /// Canonical major-unit text with exactly the currency's minor digits: `"100.50"`, `"-0.05"`, `"1500"` (RWF).
    public var description: String {
        let magnitude = self.minorUnits.magnitude
        let digits = self.currency.minorDigits
        let sign = self.minorUnits < 0 ? "-" : ""
        guard digits > 0 else { return sign + String(magnitude) }
        var divisor: UInt64 = 1
        for _ in 0..<digits { divisor *= 10 }
        let fraction = String(magnitude % divisor)
        return sign + String(magnitude / divisor) + "." + String(repeating: "0", count: digits - fraction.count)
            + fraction
    }

    public var isZero: Bool { self.minorUnits == 0 }
    public var isNegative: Bool { self.minorUnits < 0 }
}

// MARK: - Arithmetic

extension Money {
    /// The sum, or an error when the currencies differ or the result overflows.
    public func adding(_ other: Money) throws(MoneyArithmeticError) -> Money {
        guard self.currency == other.currency else { throw .currencyMismatch(self.currency, other.currency) }
        let (sum, overflow) = self.minorUnits.addingReportingOverflow(other.minorUnits)
        guard !overflow else { throw .overflow }
        return Money(minorUnits: sum, currency: self.currency)
    }

    /// The difference, or an error when the currencies differ or the result overflows.
    public func subtracting(_ other: Money) throws(MoneyArithmeticError) -> Money {
        guard self.currency == other.currency else { throw .currencyMismatch(self.currency, other.currency) }
        let (difference, overflow) = self.minorUnits.subtractingReportingOverflow(other.minorUnits)
        guard !overflow else { throw .overflow }
        return Money(minorUnits: difference, currency: self.currency)
    }

    /// Traps on a currency mismatch or overflow, like `Int`'s `+`; use ``adding(_:)`` with untrusted values.
    public static func + (lhs: Money, rhs: Money) -> Money {
        do {
            return try lhs.adding(rhs)
        } catch {
            preconditionFailure("Money + : \(error)")
        }
    }

    /// Traps on a currency mismatch or overflow, like `Int`'s `-`; use ``subtracting(_:)`` with untrusted values.
    public static func - (lhs: Money, rhs: Money) -> Money {
        do {
            return try lhs.subtracting(rhs)
        } catch {
            preconditionFailure("Money - : \(error)")
        }
    }
}

extension Money: Comparable {
    /// Orders amounts of one currency; comparing different currencies is a programming error and traps.
    public static func < (lhs: Money, rhs: Money) -> Bool {
        precondition(lhs.currency == rhs.currency, "comparing \(lhs.currency) with \(rhs.currency)")
        return lhs.minorUnits < rhs.minorUnits
    }
}
