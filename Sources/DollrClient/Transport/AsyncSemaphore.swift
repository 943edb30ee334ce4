import Synchronization

/// Limits how many calls are in flight. Waiters are served in arrival order; a cancelled waiter leaves the queue
/// at once and gets a `CancellationError`.
///
/// Written here because none of the packages this project builds with exports an async semaphore: swift-nio's
/// token bucket is internal to NIOFS, swift-async-algorithms and swift-concurrency-extras have none, and
/// `DispatchSemaphore` would block a thread of the cooperative pool.
final class AsyncSemaphore: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var permits: Int
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    init(permits: Int) {
        precondition(permits > 0, "a semaphore needs at least one permit")
        self.state = Mutex(State(permits: permits))
    }

    func acquire() async throws(CancellationError) {
        let id: UInt64? = self.state.withLock { state in
            if state.permits > 0 {
                state.permits -= 1
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    // The cancellation flag is set before the handler runs, and both sides take the lock, so either
                    // the handler finds this waiter or this check sees the flag: no waiter is ever stranded.
                    let cancelled = self.state.withLock { state in
                        if Task.isCancelled { return true }
                        state.waiters.append(Waiter(id: id, continuation: continuation))
                        return false
                    }
                    if cancelled { continuation.resume(throwing: CancellationError()) }
                }
            } onCancel: {
                let waiter = self.state.withLock { state -> Waiter? in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiters.remove(at: index)
                }
                waiter?.continuation.resume(throwing: CancellationError())
            }
        } catch {
            throw CancellationError()
        }
    }

    func release() {
        let waiter = self.state.withLock { state -> Waiter? in
            if state.waiters.isEmpty {
                state.permits += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.continuation.resume()
    }
}
