/// Exact conversions between JSON number literals and plain decimal text (`"-12.50"`), with no floating point.
package enum DecimalText {
    /// Largest exponent we expand; anything beyond cannot be a sane amount and is refused rather than allocated.
    private static let maximumExponent = 40

    /// Rewrites a JSON number literal (`1.5e2`, `-0.05`, `100`) as plain decimal text (`150`, `-0.05`, `100`).
    /// Returns `nil` for malformed literals or absurd exponents.
    package static func plain(fromJSONNumber literal: String) -> String? {
        var text = Substring(literal)
        var negative = false
        if text.first == "-" {
            negative = true
            text = text.dropFirst()
        }
        var exponent = 0
        if let marker = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let value = Int(text[text.index(after: marker)...]), abs(value) <= self.maximumExponent else {
                return nil
            }
            exponent = value
            text = text[..<marker]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let integerPart = parts.first, !integerPart.isEmpty,
            parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }), parts.count == 1 || !parts[1].isEmpty
        else {
            return nil
        }
        var digits = String(integerPart) + (parts.count == 2 ? String(parts[1]) : "")
        var pointPosition = integerPart.count + exponent
        if pointPosition < 1 {
            digits = String(repeating: "0", count: 1 - pointPosition) + digits
            pointPosition = 1
        } else if pointPosition > digits.count {
            digits += String(repeating: "0", count: pointPosition - digits.count)
        }
        let integerDigits = digits.prefix(pointPosition)
        let fractionDigits = digits.dropFirst(pointPosition)
        return (negative ? "-" : "") + integerDigits + (fractionDigits.isEmpty ? "" : "." + fractionDigits)
    }
}

extension Character {
    package var isASCIIDigit: Bool { self >= "0" && self <= "9" && self.isASCII }
}
