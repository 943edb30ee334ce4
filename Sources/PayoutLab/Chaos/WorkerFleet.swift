import Foundation

/// `payout-worker run` processes in one consumer group, as a deployment runs them: each slot
/// keeps its worker id across restarts (a StatefulSet pod restarted under the same name), and
/// appends its output to its own log file.
actor WorkerFleet {
    struct Slot {
        var pid: pid_t?
        var generation = 0
        /// Exit statuses by generation, filled in as processes end.
        var exits: [Int: Int32] = [:]
        /// The generation sent SIGTERM and not SIGKILLed since: its exit is a drain's verdict.
        var terminated: Int?
        /// A start asked for while the slot's worker was still draining: done once it exits.
        var restartWanted = false
    }

    let count: Int
    private let executable: URL
    private let arguments: [String]
    private let environment: [String: String]
    private let logDirectory: URL
    private var slots: [Slot]
    private var exitWaiters: [(slot: Int, generation: Int, continuation: CheckedContinuation<Int32, Never>)] = []
    private(set) var kills = 0
    /// Exit statuses of the workers SIGTERMed during the run (not those of ``stopAll(within:)``).
    private(set) var drainExits: [Int32] = []

    init(count: Int, executable: URL, arguments: [String], environment: [String: String], logDirectory: URL) {
        self.count = count
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.logDirectory = logDirectory
        self.slots = Array(repeating: Slot(), count: count)
    }

    static func workerID(_ slot: Int) -> String { "chaos-worker-\(slot + 1)" }

    nonisolated func logFile(_ slot: Int) -> URL { logDirectory.appendingPathComponent("\(Self.workerID(slot)).log") }

    /// Starts the slot's worker unless one is running; if one is draining, once it has exited.
    func start(_ slot: Int) throws {
        guard slots[slot].pid == nil else {
            if slots[slot].terminated != nil { slots[slot].restartWanted = true }
            return
        }
        slots[slot].restartWanted = false
        var environment = environment
        environment["PAYOUT_WORKER_ID"] = Self.workerID(slot)
        slots[slot].generation += 1
        let generation = slots[slot].generation
        slots[slot].pid = try ChildSpawner.spawn(
            executable.path,
            arguments: arguments,
            environment: environment,
            logPath: logFile(slot).path,
            onExit: { [weak self] status in
                Task { await self?.ended(slot: slot, generation: generation, status: status) }
            }
        )
    }

    /// SIGKILLs the slot's worker, if running (a draining one too); returns whether one was killed.
    @discardableResult
    func kill(_ slot: Int) -> Bool {
        guard let pid = slots[slot].pid else { return false }
        Foundation.kill(pid, SIGKILL)
        slots[slot].pid = nil
        slots[slot].terminated = nil
        kills += 1
        return true
    }

    /// SIGTERMs the slot's worker, if running and not already draining; its exit status is
    /// recorded in ``drainExits``.
    func terminate(_ slot: Int) {
        guard let pid = slots[slot].pid, slots[slot].terminated == nil else { return }
        Foundation.kill(pid, SIGTERM)
        slots[slot].terminated = slots[slot].generation
    }

    /// Sends SIGTERM to every running worker and waits for each to exit (SIGKILL after `limit`);
    /// returns the exit status of each one stopped.
    func stopAll(within limit: Duration) async -> [Int32] {
        for slot in 0..<count { slots[slot].restartWanted = false }
        var statuses: [Int32] = []
        let stopping = (0..<count).compactMap { slot -> (slot: Int, generation: Int, pid: Int32)? in
            guard let pid = slots[slot].pid else { return nil }
            Foundation.kill(pid, SIGTERM)
            return (slot, slots[slot].generation, pid)
        }
        for worker in stopping {
            let exit = await withTaskGroup(of: Int32?.self) { group in
                group.addTask { await self.exit(of: worker.slot, generation: worker.generation) }
                group.addTask {
                    try? await Task.sleep(for: limit)
                    return nil
                }
                // Two tasks: the first to end is never the group's end (nil).
                let first = await group.next() ?? nil
                // Past the limit: kill it, so that the exit the group still waits for comes.
                if first == nil { Foundation.kill(worker.pid, SIGKILL) }
                group.cancelAll()
                return first
            }
            statuses.append(exit ?? -SIGKILL)
            slots[worker.slot].pid = nil
        }
        return statuses
    }

    private func exit(of slot: Int, generation: Int) async -> Int32 {
        if let status = slots[slot].exits[generation] { return status }
        return await withCheckedContinuation { exitWaiters.append((slot, generation, $0)) }
    }

    private func ended(slot: Int, generation: Int, status: Int32) {
        slots[slot].exits[generation] = status
        if slots[slot].terminated == generation {
            drainExits.append(status)
            slots[slot].terminated = nil
        }
        if slots[slot].generation == generation { slots[slot].pid = nil }
        if slots[slot].restartWanted, slots[slot].pid == nil { try? start(slot) }
        let ready = exitWaiters.filter { $0.slot == slot && $0.generation == generation }
        exitWaiters.removeAll { $0.slot == slot && $0.generation == generation }
        for waiter in ready { waiter.continuation.resume(returning: status) }
    }
}
