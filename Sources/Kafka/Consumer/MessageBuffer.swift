import Synchronization

/// The bounded hand-off between the poll thread (producer side) and the application (consumer side).
///
/// The poll thread never blocks on it: when the buffer reaches capacity it raises
/// ``isBackpressureActive`` and the poll thread pauses fetching instead, so the group session and
/// rebalances keep being served. The flag drops once the application has drained half the buffer.
final class MessageBuffer: Sendable {
    private struct State {
        var messages: [KafkaMessage] = []
        var head = 0
        var waiter: CheckedContinuation<Void, Never>?
        var finished: KafkaError?? = nil
        var backpressure = false

        var count: Int { messages.count - head }

        mutating func compactIfWorthIt() {
            if head > 4096 && head * 2 > messages.count {
                messages.removeFirst(head)
                head = 0
            }
        }
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    var isBackpressureActive: Bool { state.withLock { $0.backpressure } }
    var count: Int { state.withLock { $0.count } }

    /// Appends a polled batch, wakes a waiting reader, and raises back-pressure when full.
    func append(_ batch: [KafkaMessage]) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.messages.append(contentsOf: batch)
            if state.count >= capacity { state.backpressure = true }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Drops buffered messages of partitions that are being revoked: the new owner will read them
    /// again from the committed offset, and this member must not hand them out any more.
    func purge(_ partitions: Set<KafkaTopicPartition>) {
        guard !partitions.isEmpty else { return }
        state.withLock { state in
            let kept = state.messages[state.head...].filter { !partitions.contains($0.topicPartition) }
            state.messages = kept
            state.head = 0
            if state.count * 2 <= capacity { state.backpressure = false }
        }
    }

    /// Ends the sequence: readers drain what is buffered, then get `nil` (or `error`).
    func finish(error: KafkaError? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.finished == nil { state.finished = .some(error) }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Takes up to `maxCount` messages, waiting for at least one. Returns an empty array only
    /// when the buffer is finished and drained. `resumedFromBackpressure` is true when this take
    /// dropped the level low enough that the poll thread should resume fetching now.
    func take(maxCount: Int) async throws -> (messages: [KafkaMessage], resumedFromBackpressure: Bool) {
        while true {
            try Task.checkCancellation()
            enum Step { case taken([KafkaMessage], Bool), finished(KafkaError?), wait }
            let step = state.withLock { state -> Step in
                if state.count > 0 {
                    let end = min(state.messages.count, state.head + maxCount)
                    let taken = Array(state.messages[state.head..<end])
                    state.head = end
                    if state.head == state.messages.count {
                        state.messages.removeAll(keepingCapacity: true)
                        state.head = 0
                    } else {
                        state.compactIfWorthIt()
                    }
                    var resumed = false
                    if state.backpressure && state.count * 2 <= capacity {
                        state.backpressure = false
                        resumed = true
                    }
                    return .taken(taken, resumed)
                }
                if let finished = state.finished { return .finished(finished) }
                return .wait
            }
            switch step {
            case .taken(let messages, let resumed):
                return (messages, resumed)
            case .finished(let error):
                if let error { throw error }
                return ([], false)
            case .wait:
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow = state.withLock { state -> Bool in
                            if state.count > 0 || state.finished != nil || Task.isCancelled { return true }
                            precondition(state.waiter == nil, "KafkaConsumer supports one reader at a time")
                            state.waiter = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    state.withLock { state -> CheckedContinuation<Void, Never>? in
                        defer { state.waiter = nil }
                        return state.waiter
                    }?.resume()
                }
            }
        }
    }
}
