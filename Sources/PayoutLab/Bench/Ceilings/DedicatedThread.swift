import Foundation

/// Runs blocking work (a C loop, synchronous SQLite) on a thread of its own, never on the
/// cooperative pool, and awaits its result.
enum DedicatedThread {
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: work()) }
        }
    }
}
