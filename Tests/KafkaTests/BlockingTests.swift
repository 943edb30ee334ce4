import Dispatch
import Foundation
import Synchronization
import Testing

@testable import Kafka

@Suite("Blocking calls")
struct BlockingTests {
    /// More blocking jobs than the machine has cores all run at once, and while they hold their
    /// threads a task on Swift's global executor still runs: the one that lets them finish.
    ///
    /// Run on a concurrent Dispatch queue instead, these jobs would draw from the same
    /// non-overcommitting root pool as Swift's global executor (about one thread per core). The
    /// jobs here keep their threads runnable, as a job busy inside librdkafka does; libdispatch
    /// then never adds a thread, so the jobs past the pool's width never start and the releasing
    /// task never runs. (Jobs that sleep are rescued by libdispatch's monitor, one extra thread
    /// per second: the same starvation, only slower.) The deadline inside each job only turns that
    /// deadlock into a failure instead of a hung test run.
    @Test("blocking jobs get threads of their own and leave the cooperative pool to async work")
    func blockingJobsLeaveThePoolAlone() async throws {
        let jobs = ProcessInfo.processInfo.processorCount + 1
        let gate = Gate(expected: jobs)
        let giveUp = DispatchTime.now() + .seconds(60)
        let released = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<jobs {
                group.addTask { await Blocking.run { gate.arriveAndSpin(until: giveUp) } }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(
            released == Array(repeating: true, count: jobs),
            "every job was released by a task of the global executor"
        )
    }
}

/// Counts jobs in; when the last arrives it asks Swift's global executor to open the gate.
private final class Gate: Sendable {
    private let expected: Int
    private let arrived = Atomic<Int>(0)
    private let opened = Atomic<Bool>(false)

    init(expected: Int) { self.expected = expected }

    /// Returns true once the gate opens, false if `deadline` passes first.
    func arriveAndSpin(until deadline: DispatchTime) -> Bool {
        if arrived.add(1, ordering: .relaxed).newValue == expected {
            Task.detached(priority: .medium) { self.opened.store(true, ordering: .releasing) }
        }
        while !opened.load(ordering: .acquiring) {
            guard DispatchTime.now() < deadline else { return false }
            sched_yield()  // stays runnable, as a thread busy in a C call does
        }
        return true
    }
}
