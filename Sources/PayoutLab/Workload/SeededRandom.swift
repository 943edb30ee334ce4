/// SplitMix64: a small seeded generator, so a demo or chaos run can be repeated exactly.
///
/// Written here because no package this project builds with offers a seedable generator outside tests (the
/// standard library's is not seedable; PropertyBased's `Xoshiro` is a test dependency). The sandbox has the same
/// ten lines as `SplitMix64`: sharing them would need a utility target both the sandbox and the CLI depend on.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(upperBound: Int) -> Int { Int(next() % UInt64(upperBound)) }

    /// Uniform in `range` (milliseconds, counts: small integer ranges).
    mutating func next(in range: ClosedRange<Int>) -> Int { range.lowerBound + next(upperBound: range.count) }

    /// True with probability `percent`/100.
    mutating func chance(_ percent: Int) -> Bool { next(upperBound: 100) < percent }
}
