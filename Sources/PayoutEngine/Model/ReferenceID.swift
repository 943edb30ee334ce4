public import struct Foundation.UUID

/// A payout's idempotency key end to end: the command's `reference_id`, our unique key, the Kafka
/// key of its events and Dollr's `reference_id`.
///
/// A UUID, written in one canonical text form: 8-4-4-4-12 lower-case hexadecimal digits. That
/// text is what the stores keep in their `reference_id` columns and the engine's state document,
/// so a row written with it is found again with it; two spellings of one UUID (upper and lower
/// case) name one payout.
public struct ReferenceID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let uuid: UUID
    /// The canonical text: lower-case, as stored.
    public let text: String

    public init(_ uuid: UUID) {
        self.uuid = uuid
        self.text = uuid.uuidString.lowercased()
    }

    /// Reads 8-4-4-4-12 hexadecimal digits (either case) with hyphens between, and nothing else.
    ///
    /// Checked byte by byte before Foundation parses it: Foundation's parser on Linux is sscanf-like
    /// and takes " a805636b-d80e-4f3f-8d15-673bbd7e670" (a leading blank, 11 digits at the end) as
    /// another UUID, so two texts would name one payout and Dollr would see neither.
    public init(parsing text: String) throws(ReferenceIDError) {
        guard Self.isCanonical(text), let uuid = UUID(uuidString: text) else { throw ReferenceIDError(text: text) }
        self.init(uuid)
    }

    public var description: String { text }

    /// The order of the stored text (byte order, as `COLLATE "C"` sorts it).
    public static func < (lhs: ReferenceID, rhs: ReferenceID) -> Bool {
        lhs.text.utf8.lexicographicallyPrecedes(rhs.text.utf8)
    }

    private static func isCanonical(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        return bytes.indices.allSatisfy { index in
            let hyphen = index == 8 || index == 13 || index == 18 || index == 23
            switch bytes[index] {
            case UInt8(ascii: "-"): return hyphen
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
                UInt8(ascii: "A")...UInt8(ascii: "F"):
                return !hyphen
            default: return false
            }
        }
    }
}

/// Written into the state document as its text.
extension ReferenceID: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// Text that is not a reference_id. A reference_id is no secret, so the text is named as given.
public struct ReferenceIDError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String

    public var description: String {
        "'\(text)' is not a reference_id: a reference_id is a UUID, 8-4-4-4-12 hexadecimal digits"
    }
}
