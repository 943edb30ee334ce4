import Foundation
public import PropertyBased
public import Testing

/// Property checks that draw the same inputs on every run, so CI is deterministic and a failure
/// reproduces: each case gets its own generator state, derived from the seed and the case number.
///
/// PropertyBased's own `propertyCheck` draws a fresh random seed per run; we keep its generators
/// and its seeded `Xoshiro`, and fix the seed. `PROPERTY_SEED=<n>` explores other inputs locally.
public enum SeededProperty {
    /// The seed of a test: `PROPERTY_SEED` from the environment when set, else the test's own.
    public static func seed(_ fixed: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment["PROPERTY_SEED"].flatMap(UInt64.init) ?? fixed
    }

    /// The generator state of case `index`, spread over all four words (SplitMix64), since
    /// Xoshiro's first outputs from a mostly-zero state are poor.
    public static func random(seed: UInt64, case index: Int) -> Xoshiro {
        var state = seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03)
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return Xoshiro(seed: (next(), next(), next(), next()))
    }

    /// `count` values of `generator`, case by case.
    public static func values<Value>(
        of generator: Generator<Value, some Sequence>,
        count: Int,
        seed: UInt64
    ) -> [Value] {
        (0..<count).map { index in
            var random = Self.random(seed: Self.seed(seed), case: index)
            return generator.run(using: &random)
        }
    }

    /// Checks `property` on `count` values of `generator`. `property` returns what is wrong with a
    /// value, or `nil`; each violation is recorded with the case that shows it, up to `reportLimit`.
    public static func check<Value>(
        _ generator: Generator<Value, some Sequence>,
        count: Int,
        seed: UInt64,
        reportLimit: Int = 5,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ property: (Value) -> String?
    ) {
        let seed = Self.seed(seed)
        var reported = 0
        for index in 0..<count {
            var random = Self.random(seed: seed, case: index)
            let value = generator.run(using: &random)
            guard let violation = property(value) else { continue }
            Issue.record(
                "case \(index) of PROPERTY_SEED=\(seed): \(violation)\ninput: \(String(reflecting: value))",
                sourceLocation: sourceLocation
            )
            reported += 1
            if reported == reportLimit { return }
        }
    }
}
