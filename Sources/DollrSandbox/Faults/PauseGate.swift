import Synchronization

/// Holds every Dollr API request while the sandbox is paused, as a stalled provider would: the
/// connection stays open, nothing is answered, and on resume the held requests go on (an execute
/// whose client gave up long ago may still land then, which is exactly what a worker must survive).
final class PauseGate: Sendable {
    private struct State {
        var paused = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var isPaused: Bool { self.state.withLock { $0.paused } }

    func pause() {
        self.state.withLock { $0.paused = true }
    }

    func resume() {
        let released = self.state.withLock { state in
            state.paused = false
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in released { continuation.resume() }
    }

    /// Returns at once unless paused; otherwise when resumed.
    func pass() async {
        guard self.isPaused else { return }
        await withCheckedContinuation { continuation in
            let parked = self.state.withLock { state in
                guard state.paused else { return false }
                state.waiting.append(continuation)
                return true
            }
            if !parked { continuation.resume() }
        }
    }
}
