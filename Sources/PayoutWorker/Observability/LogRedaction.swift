public import Logging

/// Masks personal data and secrets in log text and metadata. Pure functions; both log handlers run every line through
/// them, so a careless `"\(command)"` cannot put a phone number in the logs.
///
/// - A run of 8 to 15 ASCII digits, optionally preceded by `+`, looks like an MSISDN or an account number: it keeps
///   its last 4 digits (`231771234567` becomes `********4567`, like `PhoneNumber`'s description).
/// - UUIDs (reference_ids) are left alone, even when a group happens to be all digits.
/// - A digit run that is part of a decimal number (`100000000.00`, `0.123456789`) is an amount, not a phone.
/// - Values under a metadata key named like a secret or a phone (``isSensitive(key:)``) are replaced entirely.
///
/// The rule is deliberately blunt: any other number of 8 to 15 digits (a Kafka offset, epoch milliseconds) is masked
/// too. Losing a digit in a log line is cheap; a phone number in a log pipeline is not.
public enum LogRedaction {
    /// What a sensitive metadata value is replaced with.
    public static let redacted = "<redacted>"

    /// Key fragments that mark a metadata value as sensitive as a whole.
    static let sensitiveKeyFragments = [
        "phone", "msisdn", "account_number", "accountnumber", "passcode", "secret", "token", "authorization",
        "password", "api_key", "apikey",
    ]

    // MARK: - Text

    /// `text` with every phone-like digit run masked to its last 4 digits.
    public static func redact(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard Self.mayContainDigitRun(bytes) else { return text }

        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if let length = Self.uuidLength(in: bytes, at: index) {
                output.append(contentsOf: bytes[index..<index + length])
                index += length
                continue
            }
            guard Self.isDigit(bytes[index]) else {
                output.append(bytes[index])
                index += 1
                continue
            }
            var end = index
            while end < bytes.count, Self.isDigit(bytes[end]) { end += 1 }
            let length = end - index
            if (8...15).contains(length) && !Self.isPartOfDecimal(bytes, start: index, end: end) {
                // The `+` of `+231...` was copied already; the mask stands for the whole number.
                if index > 0, bytes[index - 1] == UInt8(ascii: "+") { output.removeLast() }
                output.append(contentsOf: repeatElement(UInt8(ascii: "*"), count: length - 4))
                output.append(contentsOf: bytes[(end - 4)..<end])
            } else {
                output.append(contentsOf: bytes[index..<end])
            }
            index = end
        }
        return String(decoding: output, as: UTF8.self)
    }

    // MARK: - Metadata

    /// Every value redacted; values under sensitive keys (at any depth) replaced by ``redacted``.
    public static func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var result = Logger.Metadata(minimumCapacity: metadata.count)
        for (key, value) in metadata {
            result[key] = Self.redact(value, key: key)
        }
        return result
    }

    /// `value` redacted as it would be under `key`.
    public static func redact(_ value: Logger.MetadataValue, key: String?) -> Logger.MetadataValue {
        if let key, Self.isSensitive(key: key) { return .string(Self.redacted) }
        switch value {
        case .string(let text):
            return .string(Self.redact(text))
        case .stringConvertible(let convertible):
            return .string(Self.redact(convertible.description))
        case .dictionary(let nested):
            return .dictionary(Self.redact(nested))
        case .array(let elements):
            return .array(elements.map { Self.redact($0, key: nil) })
        }
    }

    /// True for keys named like a phone number, an account number or a secret: `phone`, `recipient_phone`,
    /// `client_secret`, `Authorization`, `access-token`, ...
    public static func isSensitive(key: String) -> Bool {
        let normalized = String(
            key.lowercased().map { $0 == "-" || $0 == "." || $0 == " " ? "_" : $0 }
        )
        return Self.sensitiveKeyFragments.contains { normalized.contains($0) }
    }

    // MARK: - Scanning

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        Self.isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    /// Most lines have no 8-digit run at all; they are returned untouched without allocating.
    private static func mayContainDigitRun(_ bytes: [UInt8]) -> Bool {
        var run = 0
        for byte in bytes {
            run = Self.isDigit(byte) ? run + 1 : 0
            if run == 8 { return true }
        }
        return false
    }

    /// 36 when a UUID (8-4-4-4-12 hex digits) starts at `index` and is not part of a longer hex token.
    private static func uuidLength(in bytes: [UInt8], at index: Int) -> Int? {
        let length = 36
        guard index + length <= bytes.count, Self.isHex(bytes[index]) else { return nil }
        if index > 0, Self.isHex(bytes[index - 1]) || bytes[index - 1] == UInt8(ascii: "-") { return nil }
        if index + length < bytes.count,
            Self.isHex(bytes[index + length]) || bytes[index + length] == UInt8(ascii: "-")
        {
            return nil
        }
        for offset in 0..<length {
            let byte = bytes[index + offset]
            switch offset {
            case 8, 13, 18, 23:
                guard byte == UInt8(ascii: "-") else { return nil }
            default:
                guard Self.isHex(byte) else { return nil }
            }
        }
        return length
    }

    /// The run `start..<end` is the integer or fraction part of a decimal number such as `100000000.00`.
    private static func isPartOfDecimal(_ bytes: [UInt8], start: Int, end: Int) -> Bool {
        let point = UInt8(ascii: ".")
        let fractionFollows = end + 1 < bytes.count && bytes[end] == point && Self.isDigit(bytes[end + 1])
        let integerPrecedes = start >= 2 && bytes[start - 1] == point && Self.isDigit(bytes[start - 2])
        return fractionFollows || integerPrecedes
    }
}
