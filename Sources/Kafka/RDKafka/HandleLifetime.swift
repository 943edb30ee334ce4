import Foundation
import Synchronization

/// Lets any thread use a librdkafka handle while the owning thread may destroy it.
///
/// Users take a short lease (no lock is held while they call librdkafka, so a slow commit does not
/// block a concurrent offset store); ``retire()`` refuses new leases and waits for running ones.
final class HandleLifetime: Sendable {
    private let state = Mutex((alive: true, users: 0))

    /// Runs `body` if the handle is still alive, else returns `nil`.
    func use<T>(_ body: () throws -> T) rethrows -> T? {
        let admitted = state.withLock { state -> Bool in
            guard state.alive else { return false }
            state.users += 1
            return true
        }
        guard admitted else { return nil }
        defer { state.withLock { $0.users -= 1 } }
        return try body()
    }

    /// Marks the handle dead and waits until no lease is running. Call only from a dedicated thread.
    func retire() {
        state.withLock { $0.alive = false }
        while state.withLock({ $0.users }) > 0 {
            usleep(200)
        }
    }
}
