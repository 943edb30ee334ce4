import Foundation

/// Throughput and latency from the final-event times of a measured burst.
enum RunStatistics {
    /// Steady-state rate: payouts finished between the 10th-percentile final event and the last
    /// one, over that interval. It leaves out the start (intake of the burst, the first payout's
    /// full flow) so that a run's figure does not depend on its length.
    static func steadyRate(_ finals: [ContinuousClock.Instant]) -> Double {
        let sorted = finals.sorted()
        guard sorted.count >= 2 else { return 0 }
        let low = min(sorted.count / 10, sorted.count - 2)
        let seconds = (sorted[sorted.count - 1] - sorted[low]).seconds
        // A tiny run may see every final event in one fetch: no interval to divide by.
        return seconds > 0.001 ? Double(sorted.count - 1 - low) / seconds : 0
    }

    /// The steady rate, or the whole-burst rate when the run is too small to have a steady part.
    static func rate(_ finals: [ContinuousClock.Instant], since start: ContinuousClock.Instant) -> Double {
        let steady = steadyRate(finals)
        return steady > 0 ? steady : burstRate(finals, since: start)
    }

    /// Whole-burst rate: payouts over the time from the first command produced to the last final event.
    static func burstRate(_ finals: [ContinuousClock.Instant], since start: ContinuousClock.Instant) -> Double {
        guard let last = finals.max() else { return 0 }
        let seconds = (last - start).seconds
        return seconds > 0 ? Double(finals.count) / seconds : 0
    }

    static func percentile(_ fraction: Double, of values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let index = min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[index]
    }
}
