internal import CivilTime

public import struct Foundation.Date

/// A timestamp from a Dollr response. The raw text is kept because its format is undocumented; ``date`` is the
/// parsed instant when the text is ISO 8601 (`2024-05-01T12:00:00.123456Z`, `+00:00` offsets, or no offset = UTC).
public struct DollrTimestamp: Sendable, Hashable, CustomStringConvertible {
    public let raw: String
    public let date: Date?

    public init(raw: String) {
        self.raw = raw
        self.date = Timestamp.parse(raw, .lenient).map {
            Date(timeIntervalSince1970: Double($0.secondsSinceEpoch) + Double($0.nanoseconds) / 1_000_000_000)
        }
    }

    public var description: String { self.raw }
}
