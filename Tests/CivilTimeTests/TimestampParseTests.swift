import CivilTime
import Foundation
import Testing

@Suite("RFC 3339 parsing")
struct TimestampParseTests {
    @Test("reads back every instant it prints")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let milliseconds = Int64.random(in: -2_208_988_800_000...13_569_465_599_999, using: &generator)
            let text = Timestamp.rfc3339(milliseconds: milliseconds)
            #expect(Timestamp.parse(text)?.millisecondsSinceEpoch == milliseconds, "\(text)")
            let micros = milliseconds * 1000 + Int64.random(in: 0..<1000, using: &generator)
            let microText = Timestamp.rfc3339(microseconds: micros)
            let instant = Timestamp.parse(microText)
            #expect(instant.map { $0.secondsSinceEpoch * 1_000_000 + $0.nanoseconds / 1000 } == micros, "\(microText)")
        }
    }

    @Test("agrees with Foundation's ISO 8601 parser on offsets and fractions")
    func agreesWithFoundation() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        for text in [
            "2026-11-25T12:00:00Z", "2026-11-25T13:30:00+01:30", "2000-02-29T23:59:59-08:00", "1969-12-31T23:59:59Z",
        ] {
            let expected = try #require(formatter.date(from: text))
            #expect(Timestamp.parse(text)?.secondsSinceEpoch == Int64(expected.timeIntervalSince1970), "\(text)")
        }
        #expect(
            Timestamp.parse("2026-11-25T12:00:00.123456789123Z")
                == Instant(secondsSinceEpoch: 1_795_608_000, nanoseconds: 123_456_789)
        )
    }

    @Test("RFC 3339 rejects what only the lenient grammar allows")
    func grammars() {
        for text in ["2026-11-25 12:00:00Z", "2026-11-25T12:00:00", "2026-11-25T14:00:00+0200"] {
            #expect(Timestamp.parse(text) == nil, "\(text)")
            #expect(Timestamp.parse(text, .lenient)?.secondsSinceEpoch == 1_795_608_000, "\(text)")
        }
        #expect(Timestamp.parse("2026-11-25t12:00:00z")?.secondsSinceEpoch == 1_795_608_000)
    }

    @Test("rejects fields out of range and stray text")
    func rejects() {
        let bad = [
            "", "yesterday", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-01-32T00:00:00Z",
            "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:61Z", "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+01:60", "2026-01-01T00:00:00Zjunk", "26-01-01T00:00:00Z",
        ]
        for text in bad {
            #expect(Timestamp.parse(text) == nil, "\(text)")
            #expect(Timestamp.parse(text, .lenient) == nil, "\(text)")
        }
    }
}
