import Foundation
import PayoutEngine

/// memory: peak resident set of a real `payout-worker run` child process (this same binary) while
/// 10,000 payouts are in flight at once. The sandbox keeps each execution PROCESSING for 10 s, so
/// every payout is accepted and moving (or parked for its poll) before the first one finishes.
/// The broker and sandbox stay in this process, so the child's VmHWM is the worker's alone.
enum MemoryScenario {
    static func run(environment: BenchEnvironment, payouts: Int, processingMs: Int) async throws -> BenchFigures {
        environment.sandbox.sandbox.updateFaults {
            $0.latencyMs = 0
            $0.pendingMs = 0
            $0.processingMs = processingMs
        }
        defer { environment.sandbox.sandbox.updateFaults { $0.processingMs = 0 } }
        let commands = try await environment.topic("bench.memory.commands")
        let status = try await environment.topic("bench.memory.status")
        let deadLetters = try await environment.topic("bench.memory.dlq")
        let storeURL = environment.storeURL(for: "memory")
        let store = try await PayoutStoreFactory.open(url: storeURL, logger: environment.logger)
        try await store.migrate()
        try await store.setWallet(id: "1", currency: "USD", balanceMinor: 1_000_000_000_000, now: StoreClock.system.now())
        await store.close()

        let configuration: [String: Any] = [
            "kafka": ["brokers": environment.cluster.bootstrapServers, "group_id": "bench-memory",
                      "commands_topic": commands, "status_topic": status, "dead_letter_topic": deadLetters],
            "dollr": ["base_url": environment.sandbox.baseURL.absoluteString],
            "admin": ["port": 0],
            "store_url": storeURL,
            "worker_id": "bench-memory",
            "log_level": "warning",
            "engine": ["poll_initial_delay_ms": 1_000, "poll_growth_percent": 100, "poll_maximum_delay_ms": 1_000],
        ]
        let configurationFile = environment.directory.appendingPathComponent("memory-worker.json")
        try JSONSerialization.data(withJSONObject: configuration).write(to: configurationFile)

        let watcher = try StatusWatcher(environment: environment, topic: status)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["run", "--config", configurationFile.path]
        child.environment = ProcessInfo.processInfo.environment.merging(ParentWatch.forChildren) { _, watch in watch }
        child.standardOutput = FileHandle.nullDevice
        let logFile = environment.directory.appendingPathComponent("memory-worker.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        child.standardError = try FileHandle(forWritingTo: logFile)
        try child.run()
        let pid = child.processIdentifier
        defer { if child.isRunning { kill(pid, SIGKILL) } }
        let idleKiB = try await idleResidentSet(pid: pid)

        let (records, references) = BenchCommands.records(count: payouts, topic: commands, executable: true)
        try await environment.produce(records)
        _ = try await watcher.waitForFinals(of: references, timeout: .seconds(600)) {
            child.isRunning ? nil : "the measured worker exited (status \(child.terminationStatus)); its log: \(logFile.path)"
        }
        let peakKiB = ProcessUsage.statusKiB("VmHWM", pid: String(pid)) ?? 0
        let cpu = ProcessUsage.cpuSeconds(pid: pid) ?? 0
        let snapshot = watcher.snapshot
        child.terminate()
        while child.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        await watcher.close()
        return BenchFigures(scenario: "memory", values: [
            .init("payouts", Double(payouts), unit: ""),
            .init("in_flight_at_peak", Double(snapshot.acceptedAtFirstFinal ?? 0), unit: ""),
            .init("peak_rss_mib", Double(peakKiB) / 1024, unit: "MiB"),
            .init("idle_rss_mib", Double(idleKiB) / 1024, unit: "MiB"),
            .init("worker_cpu_seconds_per_1000", cpu * 1000 / Double(payouts), unit: "s"),
            .init("completed", Double(snapshot.completed), unit: ""),
        ], notes: [
            "memory: VmHWM of a `payout-worker run` child; in_flight_at_peak = payouts accepted and unfinished when the first one finished "
                + "(the sandbox keeps each PROCESSING for \(processingMs) ms); worker CPU includes its start-up",
        ])
    }

    /// The child's resident set once it has started and joined (its VmRSS stops growing), before any command.
    private static func idleResidentSet(pid: Int32) async throws -> Int {
        var last = 0
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(100))
            guard let now = ProcessUsage.statusKiB("VmRSS", pid: String(pid)) else { throw CommandFailure("the worker child exited at start") }
            if now > 0 && now == last { return now }
            last = now
        }
        return last
    }
}
