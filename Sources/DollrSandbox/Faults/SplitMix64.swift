/// A small seedable generator (SplitMix64), so that a run's faults can be reproduced from its seed.
///
/// No package this project builds with offers a seedable generator outside tests, and the standard library's is
/// not seedable.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `p`; never draws when `p` is 0 or 1, so a fault-free run consumes no randomness.
    mutating func chance(_ p: Double) -> Bool {
        if p <= 0 { return false }
        if p >= 1 { return true }
        return Double(self.next() >> 11) * 0x1p-53 < p
    }
}
