/// Converts an amount in minor units to major units for display in a gauge.
///
/// Metrics are for dashboards only: nothing reads a balance back from them, so a `Double` is acceptable. The value is
/// still derived exactly: the decimal text (`1234.56`) is built from the integer, then parsed, so the result is the
/// `Double` nearest to the true amount (one correctly rounded step), never `Double(minor) / 100` with two roundings.
enum MajorUnits {
    static func value(minor: Int64, digits: Int) -> Double {
        let magnitude = minor.magnitude
        let text: String
        if digits <= 0 {
            text = String(magnitude)
        } else {
            let padded = String(magnitude)
            let zeros = String(repeating: "0", count: max(0, digits + 1 - padded.count))
            let all = zeros + padded
            text = "\(all.dropLast(digits)).\(all.suffix(digits))"
        }
        // The text is digits and at most one point, so parsing cannot fail.
        let value = Double(text) ?? .nan
        return minor < 0 ? -value : value
    }
}
