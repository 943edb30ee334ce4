import Dispatch
import Synchronization

/// The bounded hand-off between the poll thread (producer side) and the application (consumer side).
///
/// Bounded both in messages (`capacity`) and in bytes of keys, values and headers
/// (`byteCapacity`). When either is reached it raises ``isBackpressureActive``; the poll thread
/// then stops taking messages from librdkafka (see ``waitForRoom(until:)``), and only if the
/// application stays stalled does it pause fetching. The flag drops once the application has
/// drained half of the buffer (in messages and in bytes): the low-water mark.
final class MessageBuffer: Sendable {
    private struct State {
        var messages: [KafkaMessage] = []
        var head = 0
        var bytes = 0
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
    /// Signalled when back-pressure drops (and by ``wakePollThread()``), for the poll thread
    /// blocked in ``waitForRoom(until:)``. Extra signals only cause an extra re-check.
    private let room = DispatchSemaphore(value: 0)
    let capacity: Int
    let byteCapacity: Int

    init(capacity: Int, byteCapacity: Int) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    var isBackpressureActive: Bool { state.withLock { $0.backpressure } }
    var count: Int { state.withLock { $0.count } }
    var byteCount: Int { state.withLock { $0.bytes } }

    /// The bytes a message holds in the buffer, as counted against `byteCapacity`.
    static func size(of message: KafkaMessage) -> Int {
        var size = (message.key?.count ?? 0) + (message.value?.count ?? 0)
        for header in message.headers { size += header.name.utf8.count + (header.value?.count ?? 0) }
        return size
    }

    private func isFull(_ state: State) -> Bool {
        state.count >= capacity || state.bytes >= byteCapacity
    }

    private func isAtLowWater(_ state: State) -> Bool {
        state.count * 2 <= capacity && state.bytes <= byteCapacity / 2
    }

    /// Appends a polled batch of `bytes` (``size(of:)`` summed), wakes a waiting reader, and raises
    /// back-pressure when full.
    func append(_ batch: consuming [KafkaMessage], bytes added: Int) {
        var batch = batch
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.count == 0 {
                // The common case of a reader that keeps up: hand the array over whole instead of
                // copying (and retaining) every message into the buffer's own.
                swap(&state.messages, &batch)
                state.head = 0
            } else {
                state.messages.append(contentsOf: batch)
            }
            state.bytes += added
            if isFull(state) { state.backpressure = true }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Blocks the calling thread (the poll thread, never a task) until back-pressure drops, the
    /// deadline passes, or ``wakePollThread()`` is called. The caller re-checks what it waits for.
    func waitForRoom(until deadline: DispatchTime) {
        _ = room.wait(timeout: deadline)
    }

    /// Ends a ``waitForRoom(until:)`` early (close, pause and resume requests).
    func wakePollThread() {
        room.signal()
    }

    /// Drops buffered messages of partitions that are being revoked: the new owner will read them
    /// again from the committed offset, and this member must not hand them out any more.
    func purge(_ partitions: Set<KafkaTopicPartition>) {
        guard !partitions.isEmpty else { return }
        state.withLock { state in
            let kept = state.messages[state.head...].filter { !partitions.contains($0.topicPartition) }
            state.messages = kept
            state.head = 0
            state.bytes = kept.reduce(0) { $0 + Self.size(of: $1) }
            if isAtLowWater(state) { state.backpressure = false }
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
            enum Step {
                case taken([KafkaMessage], Bool)
                case finished(KafkaError?)
                case wait
            }
            let step = state.withLock { state -> Step in
                if state.count > 0 {
                    if state.head == 0 && state.messages.count <= maxCount {
                        // Everything buffered fits: take the array itself, no copy.
                        var taken: [KafkaMessage] = []
                        swap(&taken, &state.messages)
                        state.bytes = 0
                        let resumed = state.backpressure
                        state.backpressure = false
                        return .taken(taken, resumed)
                    }
                    let end = min(state.messages.count, state.head + maxCount)
                    let taken = Array(state.messages[state.head..<end])
                    state.head = end
                    if state.head == state.messages.count {
                        state.messages.removeAll(keepingCapacity: true)
                        state.head = 0
                        state.bytes = 0
                    } else {
                        state.bytes -= taken.reduce(0) { $0 + Self.size(of: $1) }
                        state.compactIfWorthIt()
                    }
                    var resumed = false
                    if state.backpressure && isAtLowWater(state) {
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
