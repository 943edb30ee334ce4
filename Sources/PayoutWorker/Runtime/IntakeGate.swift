import Synchronization

/// Lets a rebalance wait for the intake batch in progress: when partitions are revoked, the batch
/// already taken from them is recorded and its offsets stored before the commit that hands them
/// over, so the next owner starts exactly after it.
final class IntakeGate: Sendable {
    private struct State {
        var started = 0
        var finished = 0
        var waiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    func begin() { state.withLock { $0.started += 1 } }

    func end() {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.finished += 1
            let finished = state.finished
            let ready = state.waiters.filter { $0.target <= finished }.map(\.continuation)
            state.waiters.removeAll { $0.target <= finished }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once every batch begun before the call has ended.
    func waitForBatchesInProgress() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                guard state.finished < state.started else { return true }
                state.waiters.append((state.started, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }
}
