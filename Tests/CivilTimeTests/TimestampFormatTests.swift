import CivilTime
import Foundation
import Testing

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    /// The reference: what `gmtime_r` and `String(format:)` print.
    static func reference(_ milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let millis = milliseconds - seconds * 1000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            Int(parts.tm_year) + 1900,
            Int(parts.tm_mon) + 1,
            Int(parts.tm_mday),
            Int(parts.tm_hour),
            Int(parts.tm_min),
            Int(parts.tm_sec),
            Int(millis)
        )
    }

    @Test("known instants")
    func knownInstants() {
        #expect(Timestamp.rfc3339(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.rfc3339(milliseconds: 1_795_608_000_120) == "2026-11-25T12:00:00.120Z")
        #expect(Timestamp.rfc3339(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.rfc3339(milliseconds: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
    }

    @Test("agrees with gmtime over leap years, month ends and random instants from 1900 to 2400")
    func agreesWithGmtime() {
        var generator = SystemRandomNumberGenerator()
        var instants: [Int64] = [-2_208_988_800_000, 13_569_465_599_999, 4_107_542_399_999, 4_107_542_400_000]
        for _ in 0..<20_000 {
            instants.append(Int64.random(in: -2_208_988_800_000...13_569_465_599_999, using: &generator))
        }
        for day in stride(from: Int64(-25_567), to: 157_000, by: 17) {
            instants.append(day * 86_400_000 - 1)
            instants.append(day * 86_400_000)
        }
        for instant in instants {
            #expect(Timestamp.rfc3339(milliseconds: instant) == Self.reference(instant), "\(instant)")
        }
    }
}
