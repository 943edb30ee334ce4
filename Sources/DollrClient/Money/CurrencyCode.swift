/// An ISO 4217 alphabetic currency code (`^[A-Z]{3}$`), with the number of minor digits the currency uses.
public struct CurrencyCode: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The three upper-case letters, e.g. `USD`.
    public let code: String

    /// Validates `code` against `^[A-Z]{3}$`.
    public init(_ code: String) throws(CurrencyCodeError) {
        guard code.utf8.count == 3, code.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
        else {
            throw CurrencyCodeError()
        }
        self.code = code
    }

    private init(unchecked code: String) {
        self.code = code
    }

    /// United States dollar.
    public static let usd = CurrencyCode(unchecked: "USD")
    /// Liberian dollar.
    public static let lrd = CurrencyCode(unchecked: "LRD")

    /// Digits after the decimal point in the currency's minor unit (ISO 4217 exponent); 2 when not in our table.
    public var minorDigits: Int {
        Self.exponents[self.code] ?? 2
    }

    public var description: String { self.code }

    public static func < (lhs: CurrencyCode, rhs: CurrencyCode) -> Bool { lhs.code < rhs.code }

    /// ISO 4217 exponents that differ from 2, plus the currencies Dollr serves, for clarity.
    private static let exponents: [String: Int] = [
        "USD": 2, "LRD": 2, "EUR": 2, "GBP": 2, "KES": 2, "GHS": 2, "NGN": 2, "ZAR": 2,
        "RWF": 0, "UGX": 0, "XOF": 0, "XAF": 0, "GNF": 0, "KMF": 0, "BIF": 0, "DJF": 0, "JPY": 0, "KRW": 0,
        "VND": 0, "CLP": 0, "PYG": 0, "ISK": 0, "VUV": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    ]
}

/// A currency code that is not three upper-case ASCII letters.
public struct CurrencyCodeError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String { "currency code must match ^[A-Z]{3}$" }
}
