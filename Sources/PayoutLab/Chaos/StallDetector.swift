/// Decides when a chaos run has stalled: once the faults have ended, a stretch of `window` in
/// which no command got its answer (a payout its final status, an invalid command its REJECTED,
/// a record its dead letter) while some were still unanswered. Faults explain any pause while
/// they run; once they stop, the run must settle by itself, and a fleet that makes no progress
/// for that long is wedged (a lock held by a dead session, a paused partition), not slow.
///
/// It is fed the run's counts as the run polls them, with the time of each reading, so it holds
/// no clock of its own.
struct StallDetector {
    struct Stall: Equatable {
        /// The last reading with progress, or the first after the faults ended.
        var since: ContinuousClock.Instant
        /// How long nothing was answered.
        var lasted: Duration
        var answered: Int
        var unanswered: Int
    }

    static let defaultWindow: Duration = .seconds(30)

    let window: Duration
    /// When the answered count last grew (or the faults ended), and that count.
    private var progress: (at: ContinuousClock.Instant, answered: Int)?

    init(window: Duration = Self.defaultWindow) {
        self.window = window
    }

    /// Takes one reading; returns the stall once `window` has passed without an answer.
    mutating func observe(at now: ContinuousClock.Instant, answered: Int, unanswered: Int, faultsEnded: Bool) -> Stall?
    {
        guard faultsEnded, unanswered > 0 else {
            progress = nil
            return nil
        }
        guard let last = progress, answered <= last.answered else {
            progress = (now, answered)
            return nil
        }
        let lasted = now - last.at
        guard lasted >= window else { return nil }
        return Stall(since: last.at, lasted: lasted, answered: answered, unanswered: unanswered)
    }
}
