import Foundation

/// memory: peak resident set of a real `payout-worker run` child process (this same binary) while
/// every payout of a burst is in flight at once, at each size asked for (10,000 and 50,000 by
/// default). The sandbox keeps each execution PROCESSING long enough for the whole burst to be
/// accepted and moving (or parked for its poll) before the first one finishes. The broker and
/// sandbox stay in this process, so the child's VmHWM is the worker's alone.
enum MemoryScenario {
    static func run(
        environment: BenchEnvironment,
        sizes: [Int],
        processingMs: (Int) -> Int
    ) async throws -> BenchFigures {
        var values: [BenchFigures.Value] = []
        var notes: [String] = []
        for (index, payouts) in sizes.enumerated() {
            let processing = processingMs(payouts)
            let size = try await measure(environment: environment, payouts: payouts, processingMs: processing)
            // The first size keeps the plain names; each further one is named by its size.
            let prefix = index == 0 ? "" : "at_\(payouts)_"
            values += [
                .init("\(prefix)payouts", Double(payouts), unit: ""),
                .init("\(prefix)in_flight_at_peak", Double(size.inFlightAtPeak), unit: ""),
                .init("\(prefix)peak_rss_mib", Double(size.peakKiB) / 1024, unit: "MiB"),
                .init("\(prefix)idle_rss_mib", Double(size.idleKiB) / 1024, unit: "MiB"),
                .init("\(prefix)worker_cpu_seconds_per_1000", size.cpuSeconds * 1000 / Double(payouts), unit: "s"),
                .init("\(prefix)completed", Double(size.completed), unit: ""),
            ]
            notes.append("memory: \(payouts) payouts, each PROCESSING for \(processing) ms and first polled then")
        }
        return BenchFigures(
            scenario: "memory",
            values: values,
            notes: notes + [
                "memory: VmHWM of a `payout-worker run` child; in_flight_at_peak = payouts accepted and unfinished when the first one finished; "
                    + "idle = its resident set once ready, before any command; worker CPU includes its start-up"
            ]
        )
    }

    private struct Size {
        var inFlightAtPeak: Int
        var peakKiB: Int
        var idleKiB: Int
        var cpuSeconds: Double
        var completed: Int
    }

    private static func measure(environment: BenchEnvironment, payouts: Int, processingMs: Int) async throws -> Size {
        environment.sandbox.sandbox.updateFaults {
            $0.latencyMs = 0
            $0.pendingMs = 0
            $0.processingMs = processingMs
        }
        defer { environment.sandbox.sandbox.updateFaults { $0.processingMs = 0 } }
        let name = "memory-\(payouts)"
        let topics = try await environment.workerTopics(name)
        let storeURL = environment.storeURL(for: name)
        try await environment.prepareStore(url: storeURL)

        let watcher = try StatusWatcher(environment: environment, topic: topics.status)
        // The first poll when the execution is done: polls before it would only add load.
        let worker = try WorkerProcesses.start(
            count: 1,
            group: "bench-\(name)",
            environment: environment,
            topics: topics,
            storeURL: storeURL,
            engine: [
                "poll_initial_delay_ms": processingMs, "poll_growth_percent": 100,
                "poll_maximum_delay_ms": max(processingMs, 1_000),
            ]
        )
        return try await worker.run(closing: watcher) {
            try await worker.waitUntilReady(timeout: .seconds(120))
            let idleKiB = worker.statusKiB("VmRSS", of: 0) ?? 0
            let (records, references) = BenchCommands.records(count: payouts, topic: topics.commands, executable: true)
            try await environment.produce(records)
            _ = try await watcher.waitForFinals(of: references, timeout: .seconds(900)) { worker.exitedWorker }
            return Size(
                inFlightAtPeak: watcher.snapshot.acceptedAtFirstFinal ?? 0,
                peakKiB: worker.statusKiB("VmHWM", of: 0) ?? 0,
                idleKiB: idleKiB,
                cpuSeconds: worker.cpuSeconds(),
                completed: watcher.snapshot.completed
            )
        }
    }
}
