import Dispatch

/// Runs blocking librdkafka calls (commit, flush, close, destroy, mock admin calls) on a private
/// Dispatch queue, so they never occupy a thread of Swift's cooperative pool. Private queues are
/// overcommitting: a blocked call gets its own thread instead of starving async work.
enum Blocking {
    private static let queue = DispatchQueue(label: "kafka.blocking", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}
