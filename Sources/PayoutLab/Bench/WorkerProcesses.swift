import AsyncHTTPClient
import CommandSupport
import EmbeddedKafka
import Foundation
import LocalPostgres
import NIOPosix
import Synchronization

/// Real `payout-worker run` children of this same binary in one consumer group, for the figures
/// that only a separate process shows (its own memory, several replicas on one store). The broker
/// and the sandbox stay in the bench process.
final class WorkerProcesses: Sendable {
    let count: Int
    let logFiles: [URL]
    private let pids: [pid_t]
    private let adminPorts: [Int]
    /// Each child's exit status once it has ended.
    private let exits: ExitStatuses

    /// Starts `count` workers on `topics` and `storeURL` (group `group`, worker ids `group-1`...),
    /// each with its own admin port and log file in the environment's folder. `engine` holds
    /// `engine.*` settings, as in a configuration file.
    static func start(
        count: Int,
        group: String,
        environment: BenchEnvironment,
        topics: BenchEnvironment.WorkerTopics,
        storeURL: String,
        engine: [String: Int]
    ) throws -> WorkerProcesses {
        // A short session: a member joining a group that is already stable makes librdkafka's
        // mock coordinator wait the session timeout less 1 s for the others to rejoin (44 s with
        // the default 45 s). Workers that start more than its 3 s first-join window apart, as on
        // a loaded machine, would otherwise spend that long not ready.
        let configuration: [String: Any] = [
            "kafka": [
                "brokers": environment.cluster.bootstrapServers, "group_id": group,
                "commands_topic": topics.commands, "status_topic": topics.status,
                "dead_letter_topic": topics.deadLetters,
                "consumer_properties": ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"],
            ],
            "dollr": ["base_url": environment.sandbox.baseURL.absoluteString],
            "store_url": storeURL,
            "log_level": "warning",
            "engine": engine,
        ]
        let configurationFile = environment.directory.appendingPathComponent("\(group).json")
        try JSONSerialization.data(withJSONObject: configuration).write(to: configurationFile)
        let executable = try LabExecutables.worker().path
        let exits = ExitStatuses(count: count)
        var pids: [pid_t] = []
        var ports: [Int] = []
        var logs: [URL] = []
        for index in 0..<count {
            // A failed start takes down the ones already started.
            defer { if pids.count <= index { for pid in pids { kill(pid, SIGKILL) } } }
            let port = try LoopbackPort.free()
            let log = environment.directory.appendingPathComponent("\(group)-\(index + 1).log")
            var variables = ProcessInfo.processInfo.environment
            variables["PAYOUT_WORKER_ID"] = "\(group)-\(index + 1)"
            variables["PAYOUT_ADMIN_PORT"] = "\(port)"
            let pid = try ChildSpawner.spawn(
                executable,
                arguments: ["run", "--config", configurationFile.path],
                environment: variables,
                logPath: log.path
            ) { status in exits.statuses.withLock { $0[index] = status } }
            pids.append(pid)
            ports.append(port)
            logs.append(log)
        }
        return WorkerProcesses(count: count, pids: pids, adminPorts: ports, logFiles: logs, exits: exits)
    }

    private init(count: Int, pids: [pid_t], adminPorts: [Int], logFiles: [URL], exits: ExitStatuses) {
        self.count = count
        self.pids = pids
        self.adminPorts = adminPorts
        self.logFiles = logFiles
        self.exits = exits
    }

    /// Why the run cannot go on, if a worker has exited: for ``StatusWatcher/waitForFinals(of:timeout:abandon:)``.
    var exitedWorker: String? {
        exits.statuses.withLock { exits in
            for (index, status) in exits.enumerated() {
                if let status {
                    return "worker \(index + 1) exited (status \(status)); its log: \(logFiles[index].path)"
                }
            }
            return nil
        }
    }

    /// Waits until every worker's `/readyz` answers 200, which needs its consumer to have joined
    /// the group: once the last one is ready, the group's assignment includes them all.
    func waitUntilReady(timeout: Duration) async throws {
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        defer { _ = client.shutdown() }
        let deadline = ContinuousClock.now + timeout
        for (index, port) in adminPorts.enumerated() {
            while true {
                if let reason = exitedWorker { throw CommandFailure(reason) }
                let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz")
                if let response = try? await client.execute(request, timeout: .seconds(2)), response.status == .ok {
                    break
                }
                guard ContinuousClock.now < deadline else {
                    throw CommandFailure(
                        "worker \(index + 1) was not ready after \(timeout); its log: \(logFiles[index].path)"
                    )
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// User + system CPU seconds of every worker so far.
    func cpuSeconds() -> Double {
        pids.reduce(0) { $0 + (ProcessUsage.cpuSeconds(pid: $1) ?? 0) }
    }

    /// A `/proc/<pid>/status` figure of the worker at `index`, in kiB (`VmHWM`, `VmRSS`).
    func statusKiB(_ field: String, of index: Int) -> Int? {
        ProcessUsage.statusKiB(field, pid: String(pids[index]))
    }

    /// Runs `body`, then stops the workers and closes `watcher`, whether `body` returned or threw.
    func run<T>(closing watcher: StatusWatcher, _ body: () async throws -> T) async throws -> T {
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        await stop()
        await watcher.close()
        return try result.get()
    }

    /// SIGTERMs every worker and waits for each to exit, SIGKILLing those still running after `limit`.
    func stop(within limit: Duration = .seconds(30)) async {
        for (index, pid) in pids.enumerated() where exits.statuses.withLock({ $0[index] == nil }) { kill(pid, SIGTERM) }
        let deadline = ContinuousClock.now + limit
        while exits.statuses.withLock({ $0.contains(nil) }) {
            if ContinuousClock.now > deadline {
                for (index, pid) in pids.enumerated() where exits.statuses.withLock({ $0[index] == nil }) {
                    kill(pid, SIGKILL)
                }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Filled in by the threads that reap the children (``ChildSpawner``).
private final class ExitStatuses: Sendable {
    let statuses: Mutex<[Int32?]>
    init(count: Int) { statuses = Mutex(Array(repeating: nil, count: count)) }
}
