import CivilTime
import PayoutEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 3339 timestamps in UTC with milliseconds (`2026-11-25T12:00:00.123Z`), for JSON log lines: the wall clock
/// read with `clock_gettime` and written by the engine's ``Timestamp``, the formatter events use.
enum LogTimestamp {
    static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Self.format(seconds: Int(time.tv_sec), milliseconds: Int(time.tv_nsec) / 1_000_000)
    }

    static func format(seconds: Int, milliseconds: Int) -> String {
        Timestamp.rfc3339(milliseconds: Int64(seconds) * 1000 + Int64(milliseconds))
    }
}
