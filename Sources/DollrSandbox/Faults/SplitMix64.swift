/// SplitMix64: a small seedable generator, so that a run can be repeated exactly from its seed: the
/// sandbox's faults, and the lab's workloads and chaos schedules.
///
/// No package this project builds with offers a seedable generator outside tests, and the standard library's is
/// not seedable.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `p`; never draws when `p` is 0 or 1, so a fault-free run consumes no randomness.
    public mutating func chance(_ p: Double) -> Bool {
        if p <= 0 { return false }
        if p >= 1 { return true }
        return Double(self.next() >> 11) * 0x1p-53 < p
    }

    /// In `0..<upperBound`, one draw each, by remainder: a seed's draws then depend on this type alone, not on the
    /// standard library's `next(upperBound:)`, and the bias towards small values is nothing to a workload.
    public mutating func next(below upperBound: Int) -> Int {
        Int(self.next() % UInt64(upperBound))
    }

    /// Uniform in `range` (milliseconds, counts: small integer ranges).
    public mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + self.next(below: range.count)
    }

    /// True with probability `percent`/100; one draw each, whatever the percentage.
    public mutating func chance(percent: Int) -> Bool {
        self.next(below: 100) < percent
    }
}
