import Synchronization

/// The real monotonic clock plus an offset a test moves forward, to age the client's token without waiting.
final class ManualClock: Sendable {
    private let offset = Mutex(Duration.zero)

    func now() -> ContinuousClock.Instant {
        ContinuousClock.now + self.offset.withLock { $0 }
    }

    func advance(by duration: Duration) {
        self.offset.withLock { $0 += duration }
    }
}
