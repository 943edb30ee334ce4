/// A point in time as whole seconds since 1970-01-01T00:00:00Z plus the nanoseconds into that second:
/// what an RFC 3339 text names once its offset is applied, kept in integers so no digit is rounded.
public struct Instant: Sendable, Hashable, Comparable {
    public let secondsSinceEpoch: Int64
    /// 0 through 999,999,999.
    public let nanoseconds: Int64

    public init(secondsSinceEpoch: Int64, nanoseconds: Int64 = 0) {
        let (carry, rest) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        let borrow: Int64 = rest < 0 ? 1 : 0
        self.secondsSinceEpoch = secondsSinceEpoch + carry - borrow
        self.nanoseconds = rest + borrow * 1_000_000_000
    }

    /// Milliseconds since the epoch, rounded down (toward the past).
    public var millisecondsSinceEpoch: Int64 { secondsSinceEpoch * 1000 + nanoseconds / 1_000_000 }

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        (lhs.secondsSinceEpoch, lhs.nanoseconds) < (rhs.secondsSinceEpoch, rhs.nanoseconds)
    }
}
