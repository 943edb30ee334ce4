internal import CivilTime

import struct Foundation.Date

/// Formats timestamps as pydantic does for UTC datetimes: `2024-05-01T12:00:00.123456Z`.
enum SandboxTimestamp {
    static func format(_ date: Date) -> String {
        Timestamp.rfc3339(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down)))
    }
}
