import Foundation

/// Runs one blocking librdkafka call (commit, flush, committed offsets, mock admin calls) on a
/// thread started for it, so the call never occupies a thread Swift's concurrency runtime needs.
/// `package`, for the other blocking work of this package: the embedded broker's calls, and the
/// bench's C consumer loop and synchronous SQLite passes.
///
/// Not a Dispatch queue: on Linux, Swift's global executor is itself a concurrent Dispatch queue
/// on the default-QoS root pool, which has about one thread per core and does not overcommit. A
/// private *concurrent* queue draws from that same pool (libdispatch makes only serial queues
/// overcommit), so a few slow commits would hold the threads async work runs on, and libdispatch
/// adds at most one thread a second to make up for it. These calls are rare (commit, flush and
/// admin calls, not per message) and each waits on a broker round trip, so the tens of
/// microseconds a new thread costs do not matter.
package enum Blocking {
    /// `name` is the thread's name (at most 15 bytes on Linux), for debuggers and `top -H`.
    package static func run<T: Sendable>(
        _ name: String = "kafka-blocking",
        _ body: @escaping @Sendable () -> T
    ) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.name = name
            thread.start()
        }
    }
}
