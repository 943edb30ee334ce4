import Synchronization

import struct Foundation.Date

/// The sandbox's notion of now: the monotonic clock plus an offset that tests (and `POST /_sandbox/clock/advance`)
/// can move forward, so that expiry and settlement are deterministic without sleeping.
final class SandboxClock: Sendable {
    private let offset = Mutex(Duration.zero)
    private let anchorInstant = ContinuousClock.now
    private let anchorDate = Date()

    func now() -> ContinuousClock.Instant {
        ContinuousClock.now + self.offset.withLock { $0 }
    }

    func advance(by duration: Duration) {
        self.offset.withLock { $0 += duration }
    }

    /// The wall-clock time of `instant`, for timestamps in responses.
    func date(of instant: ContinuousClock.Instant) -> Date {
        let elapsed = instant - self.anchorInstant
        let (seconds, attoseconds) = elapsed.components
        return self.anchorDate.addingTimeInterval(Double(seconds) + Double(attoseconds) * 1e-18)
    }
}
