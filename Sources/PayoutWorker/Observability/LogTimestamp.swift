#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 3339 timestamps in UTC with milliseconds (`2026-11-25T12:00:00.123Z`), for JSON log lines.
///
/// Written by hand from `clock_gettime` and `gmtime_r`: a formatter per line would be slow, and a shared one is not
/// thread-safe on every platform.
enum LogTimestamp {
    static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Self.format(seconds: Int(time.tv_sec), milliseconds: Int(time.tv_nsec) / 1_000_000)
    }

    static func format(seconds: Int, milliseconds: Int) -> String {
        var epoch = time_t(seconds)
        var parts = tm()
        gmtime_r(&epoch, &parts)
        return Self.pad(Int(parts.tm_year) + 1900, 4) + "-" + Self.pad(Int(parts.tm_mon) + 1, 2) + "-"
            + Self.pad(Int(parts.tm_mday), 2) + "T" + Self.pad(Int(parts.tm_hour), 2) + ":"
            + Self.pad(Int(parts.tm_min), 2) + ":" + Self.pad(Int(parts.tm_sec), 2) + "."
            + Self.pad(milliseconds, 3) + "Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
