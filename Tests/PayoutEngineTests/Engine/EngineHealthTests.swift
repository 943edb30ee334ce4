import Testing

@testable import PayoutEngine

@Suite("Engine health")
struct EngineHealthTests {
    @Test("Dollr unavailable lasts until a success, or a few seconds without newer failures")
    func unavailabilityExpires() {
        let tracker = HealthTracker()
        let window = HealthTracker.unavailableWindowMilliseconds
        tracker.record(.providerUnavailable, now: 1_000, succeeded: false)
        #expect(tracker.snapshot(now: 1_000).providerUnavailable)
        #expect(tracker.snapshot(now: 1_000 + window - 1).providerUnavailable)
        // A worker with nothing in flight makes no call that could clear it: time does.
        #expect(!tracker.snapshot(now: 1_000 + window).providerUnavailable)
        // Newer evidence renews it; a success clears it at once.
        tracker.record(.providerUnavailable, now: 1_000 + window, succeeded: false)
        #expect(tracker.snapshot(now: 1_000 + window + 1).providerUnavailable)
        tracker.record(nil, now: 1_000 + window + 2, succeeded: true)
        #expect(!tracker.snapshot(now: 1_000 + window + 3).providerUnavailable)
    }

    @Test("operator conditions stay until a payout goes through")
    func degradedConditionsAreSticky() {
        let tracker = HealthTracker()
        tracker.record(.passcodeRejected, now: 0, succeeded: false)
        #expect(tracker.snapshot(now: 3_600_000).isDegraded)
        tracker.recordExecuted()
        #expect(!tracker.snapshot(now: 3_600_000).isDegraded)
    }
}
