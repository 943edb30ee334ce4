import Synchronization

/// Records what happens (messages seen, rebalance events) and lets a test wait for a condition on
/// the record instead of sleeping.
public final class Recorder<Element: Sendable>: Sendable {
    private struct Waiter {
        var id: Int
        var predicate: @Sendable ([Element]) -> Bool
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var elements: [Element] = []
        var waiters: [Waiter] = []
        var nextID = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var elements: [Element] { state.withLock { $0.elements } }

    public func append(_ batch: [Element]) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.elements.append(contentsOf: batch)
            let all = state.elements
            let (done, pending) = state.waiters.reduce(into: ([Waiter](), [Waiter]())) {
                if $1.predicate(all) { $0.0.append($1) } else { $0.1.append($1) }
            }
            state.waiters = pending
            return done.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    public func append(_ element: Element) { append([element]) }

    /// Suspends until `predicate` holds for everything recorded so far, or the task is cancelled.
    public func wait(until predicate: @escaping @Sendable ([Element]) -> Bool) async {
        let id = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let satisfied = state.withLock { state -> Bool in
                    if predicate(state.elements) || Task.isCancelled { return true }
                    state.waiters.append(Waiter(id: id, predicate: predicate, continuation: continuation))
                    return false
                }
                if satisfied { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }?.resume()
        }
    }
}

/// Polls a condition that has no event to await (statistics, buffer levels), with a deadline. The
/// polls back off from 10 ms to 100 ms apart: a condition can cost a query or a `curl` process,
/// and one that stays false for a minute would otherwise be asked 3,000 times.
public func eventually(
    _ what: String,
    within limit: Duration = .seconds(30),
    _ condition: @Sendable () async -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    var interval = Duration.milliseconds(10)
    while !(await condition()) {
        guard ContinuousClock.now < deadline else { throw DeadlineExceeded(what: what, limit: limit) }
        try await Task.sleep(for: interval)
        interval = min(interval * 3 / 2, .milliseconds(100))
    }
}

/// Runs `body` with a deadline; a hung protocol fails the test instead of hanging CI.
public func withDeadline<T: Sendable>(
    _ limit: Duration = .seconds(60),
    _ what: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw DeadlineExceeded(what: what, limit: limit)
        }
        group.cancelAll()
        return value
    }
}

public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let what: String
    public let limit: Duration
    public var description: String { "\(what) did not happen within \(limit)" }
}
