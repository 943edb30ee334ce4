import Foundation
import LocalPostgres

/// scaling across processes: end-to-end's workload (no provider latency) through 1, 2, 4 and 8
/// `payout-worker run` processes in one group on one PostgreSQL database, as replicas are deployed.
/// Each count gets a fresh database on a durable PostgreSQL server (its default `fsync` and
/// `synchronous_commit`) the bench starts on loopback, fresh
/// topics of 24 partitions (an equal share for every count), all workers ready before a warm-up,
/// then the measured burst. One wallet pays for everything, as one merchant's would.
enum ProcessScaling {
    static let partitions = 24

    static func run(environment: BenchEnvironment, workerCounts: [Int], payouts: Int) async throws -> BenchFigures {
        environment.sandbox.sandbox.updateFaults {
            $0.latencyMs = 0
            $0.pendingMs = 0
            $0.processingMs = 0
        }
        do {
            _ = try await LocalPostgresServer.durable.instance()
        } catch {
            return BenchFigures(
                scenario: "scaling-processes",
                values: [],
                notes: [
                    "scaling-processes: not measured, no PostgreSQL server could be started here (\(error)); `scripts/test` installs it"
                ]
            )
        }
        var values: [BenchFigures.Value] = []
        var single: Double?
        for workers in workerCounts {
            let result = try await measure(environment: environment, workers: workers, payouts: payouts)
            single = single ?? (workers == 1 ? result.rate : nil)
            values += [
                .init("workers_\(workers)_payouts_per_second", result.rate, unit: "/s"),
                .init("workers_\(workers)_speedup", single.map { result.rate / $0 } ?? 0, unit: "x"),
                .init(
                    "workers_\(workers)_worker_cpu_ms_per_payout",
                    result.workerCPU * 1000 / Double(payouts),
                    unit: "ms"
                ),
                .init(
                    "workers_\(workers)_machine_cpu_ms_per_payout",
                    result.machineCPU * 1000 / Double(payouts),
                    unit: "ms"
                ),
                .init(
                    "workers_\(workers)_cores_busy",
                    result.seconds > 0 ? result.machineCPU / result.seconds : 0,
                    unit: ""
                ),
            ]
        }
        return BenchFigures(
            scenario: "scaling-processes",
            values: values,
            notes: [
                "scaling-processes: \(payouts) payouts through N `payout-worker run` processes on one PostgreSQL database (started by the bench on loopback, fsync on); "
                    + "speedup = payouts/s over the 1-worker rate; worker CPU is the workers' own, machine CPU everything on the machine "
                    + "(workers, PostgreSQL, the bench's broker and sandbox) from /proc/stat over the burst; cores busy = machine CPU / burst seconds"
            ]
        )
    }

    private struct Measurement {
        var rate: Double
        var seconds: Double
        var workerCPU: Double
        var machineCPU: Double
    }

    private static func measure(environment: BenchEnvironment, workers: Int, payouts: Int) async throws -> Measurement {
        let name = "scaling-\(workers)w"
        let storeURL = try await LocalPostgresServer.durable.createDatabase(prefix: "bench_scaling")
        try await environment.prepareStore(url: storeURL)
        let topics = try await environment.workerTopics(name, partitions: partitions)
        let watcher = try StatusWatcher(environment: environment, topic: topics.status)
        // end-to-end's poll timing: the sandbox finishes at once, so the first poll comes soon.
        let processes = try WorkerProcesses.start(
            count: workers,
            group: "bench-\(name)",
            environment: environment,
            topics: topics,
            storeURL: storeURL,
            engine: ["poll_initial_delay_ms": 5, "poll_growth_percent": 100, "poll_maximum_delay_ms": 5]
        )
        return try await processes.run(closing: watcher) {
            try await processes.waitUntilReady(timeout: .seconds(120))
            try await burst(
                max(50, payouts / 20),
                topics: topics,
                environment: environment,
                watcher: watcher,
                processes: processes
            )
            let workerCPU = processes.cpuSeconds()
            let machineCPU = ProcessUsage.machineBusySeconds() ?? 0
            let started = ContinuousClock.now
            let finals = try await burst(
                payouts,
                topics: topics,
                environment: environment,
                watcher: watcher,
                processes: processes
            )
            let seconds = ((finals.max() ?? started) - started).seconds
            return Measurement(
                rate: RunStatistics.rate(finals, since: started),
                seconds: seconds,
                workerCPU: processes.cpuSeconds() - workerCPU,
                machineCPU: (ProcessUsage.machineBusySeconds() ?? 0) - machineCPU
            )
        }
    }

    /// Publishes `count` fresh payouts at once; returns when each one's final event was read.
    @discardableResult
    private static func burst(
        _ count: Int,
        topics: BenchEnvironment.WorkerTopics,
        environment: BenchEnvironment,
        watcher: StatusWatcher,
        processes: WorkerProcesses
    ) async throws -> [ContinuousClock.Instant] {
        let (records, references) = BenchCommands.records(count: count, topic: topics.commands, executable: true)
        try await environment.produce(records)
        return try await watcher.waitForFinals(of: references, timeout: .seconds(600)) { processes.exitedWorker }
    }
}
