/// Label values that come from callers as free text (reason codes, call names, outcomes).
///
/// A label value becomes a time series forever, and a scrape is readable by anyone who can reach the admin port, so a
/// value must be a short code: a reference_id, a phone number or a message passed by mistake would leak personal data
/// and explode cardinality. Anything that is not a plain identifier is reported as `other`.
enum MetricLabel {
    static let other = "other"

    /// `value` when it matches `^[A-Za-z_][A-Za-z0-9_]{0,63}$`, otherwise `other`.
    static func code(_ value: String) -> String {
        let bytes = value.utf8
        guard let first = bytes.first, bytes.count <= 64, isLetterOrUnderscore(first),
            bytes.allSatisfy({ isLetterOrUnderscore($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            return other
        }
        return value
    }

    private static func isLetterOrUnderscore(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || byte == UInt8(ascii: "_")
    }
}
