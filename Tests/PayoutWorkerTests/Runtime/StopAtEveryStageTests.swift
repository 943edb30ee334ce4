import EmbeddedKafka
import Foundation
import Kafka
import TestSupport
import Testing

/// A stop must drain and exit 0 whenever it comes: while the process starts, while it joins its
/// group, between the group's JoinGroup and SyncGroup answers, once assigned, while idle with no
/// partition, and during a rebalance. librdkafka 2.0.2 (Debian's) aborts destroying a
/// cooperative-sticky member between JoinGroup and SyncGroup (librdkafka issue 4312).
///
/// Each stage is reached by waiting for librdkafka's own group log lines (`debug=cgrp`), not by
/// timing; the embedded broker holds every SyncGroup answer back for a few seconds, so the step
/// between the two answers lasts long enough for a signal to land in it.
@Suite("payout-worker run stopped at every stage of its group membership")
struct StopAtEveryStageTests {
    static let syncGroupDelay = Duration.seconds(4)

    static func config(strategy: String) -> String {
        #"{"kafka": {"consumer_properties": {"debug": "cgrp", "partition.assignment.strategy": "\#(strategy)"}}, "shutdown_timeout_ms": 10000}"#
    }

    /// The worker's first line, logged while it starts up.
    static let starting = "payout-worker starting"
    /// librdkafka's join-state lines.
    static let joining = "changed join state init -> wait-join"
    static let betweenJoinAndSync = "-> wait-sync"
    /// The Kafka layer's line for an assignment, empty ones included (librdkafka's leader logs
    /// "N partitions assigned to consumers" before SyncGroup; the source tag tells them apart).
    static let assigned = "[Kafka] partitions assigned"
    /// What the Kafka layer logs when it leaves a handle to the process's exit.
    static let handleKept = "handle is kept until exit"

    static func environment() async throws -> RuntimeEnvironment {
        let env = try await RuntimeEnvironment.start()
        try await env.cluster.createTopic("stop.commands", partitions: 2)
        try await env.cluster.delayResponses(to: .syncGroup, by: syncGroupDelay, count: 500, broker: 1)
        return env
    }

    static func start(
        _ env: RuntimeEnvironment,
        _ id: String,
        group: String,
        strategy: String = "cooperative-sticky"
    ) throws -> WorkerProcessTests.Worker {
        try WorkerProcessTests.startWorker(
            env,
            id: id,
            storeURL: "sqlite://\(env.directory.path)/\(id).db",
            directory: env.directory,
            config: config(strategy: strategy),
            // Port 0: the kernel picks the admin port as the worker binds it. These workers are never
            // probed over HTTP, and a port picked free beforehand can be taken by another process
            // in between (a second suite on the machine did, and the worker exited 1 on its bind).
            environment: [
                "PAYOUT_KAFKA_GROUP_ID": group, "PAYOUT_KAFKA_COMMANDS_TOPIC": "stop.commands",
                "PAYOUT_LOG_LEVEL": "debug",
                "PAYOUT_ADMIN_PORT": "0",
            ]
        )
    }

    /// Waits for a log line; on time-out says how far the member's join got.
    static func awaitLine(
        _ worker: WorkerProcessTests.Worker,
        _ line: String,
        within limit: Duration = .seconds(90)
    ) async throws {
        do {
            try await worker.process.stderrLine(containing: line, within: limit)
        } catch {
            let progress = worker.process.stderrLines.elements.filter {
                $0.contains("join state") || $0.contains("JoinGroup") || $0.contains("SyncGroup")
                    || !$0.contains(" debug ")
            }
            Issue.record("no \"\(line)\" line; the join got to:\n\(progress.suffix(15).joined(separator: "\n"))")
            throw error
        }
    }

    /// Signals once `line` (if any) is logged, then expects a clean exit.
    static func stop(_ worker: WorkerProcessTests.Worker, after line: String, _ stage: String) async throws {
        try await awaitLine(worker, line)
        worker.signal(SIGTERM)
        try await expectCleanExit(worker, stage)
    }

    static func expectCleanExit(_ worker: WorkerProcessTests.Worker, _ stage: String) async throws {
        let status = try await worker.waitForExit(within: .seconds(60))
        let lines = worker.process.stderrLines.elements
        let crashed = lines.contains { $0.contains("Assertion") || $0.contains("Program crashed") }
        #expect(
            status == 0 && !crashed,
            "\(stage): exit \(status); \(lines.filter { !$0.contains(" debug ") }.suffix(12).joined(separator: "\n"))"
        )
    }

    static func keptHandle(_ worker: WorkerProcessTests.Worker) -> Bool {
        worker.process.stderrLines.elements.contains { $0.contains(handleKept) }
    }

    @Test(
        "SIGTERM exits 0 at start-up, while joining, between JoinGroup and SyncGroup, once assigned, and during a rebalance"
    )
    func everyStage() async throws {
        let env = try await Self.environment()
        try await withThrowingTaskGroup(of: Void.self) { stages in
            stages.addTask {
                try await Self.stop(Self.start(env, "starting", group: "g-start"), after: Self.starting, "start-up")
            }
            stages.addTask {
                try await Self.stop(Self.start(env, "joining", group: "g-join"), after: Self.joining, "joining")
            }
            stages.addTask {
                try await Self.stop(
                    Self.start(env, "unsynced", group: "g-unsynced"),
                    after: Self.betweenJoinAndSync,
                    "between JoinGroup and SyncGroup"
                )
            }
            stages.addTask {
                // A strategy the user picks goes through the same stop.
                try await Self.stop(
                    Self.start(env, "unsynced-range", group: "g-range", strategy: "range"),
                    after: Self.betweenJoinAndSync,
                    "between JoinGroup and SyncGroup, range assignor"
                )
            }
            stages.addTask {
                let worker = try Self.start(env, "assigned", group: "g-assigned")
                try await Self.stop(worker, after: Self.assigned, "assigned")
                // Once assigned, the handle is destroyed as usual: the workaround costs nothing here.
                #expect(!Self.keptHandle(worker))
            }
            stages.addTask {
                // A second member joins an assigned one; both are stopped while the group rebalances.
                let first = try Self.start(env, "settled", group: "g-rebalance")
                try await Self.awaitLine(first, Self.assigned)
                let second = try Self.start(env, "newcomer", group: "g-rebalance")
                try await Self.awaitLine(second, Self.betweenJoinAndSync)
                first.signal(SIGTERM)
                second.signal(SIGTERM)
                try await Self.expectCleanExit(first, "rebalance, assigned member")
                try await Self.expectCleanExit(second, "rebalance, joining member")
            }
            try await stages.waitForAll()
        }
        await env.stop()
    }

    @Test("a fleet with more workers than partitions exits 0 when stopped together, idle or still joining")
    func idleFleet() async throws {
        let env = try await Self.environment()
        // Four workers, two partitions: once settled, two members hold nothing.
        let settled = try (0..<4).map { try Self.start(env, "idle-\($0)", group: "g-idle") }
        for worker in settled { try await Self.awaitLine(worker, Self.assigned, within: .seconds(120)) }
        let idle = settled.filter {
            $0.process.stderrLines.elements.contains { $0.contains(Self.assigned) && $0.contains("partitions=[]") }
        }
        #expect(idle.count >= 2, "members without partitions: \(idle.count)")
        for worker in settled { worker.signal(SIGTERM) }
        for worker in settled {
            try await Self.expectCleanExit(worker, "idle fleet")
            #expect(!Self.keptHandle(worker), "an idle member has had its (empty) assignment")
        }

        // A scale-up stopped right away: every member between JoinGroup and SyncGroup.
        let joining = try (0..<4).map { try Self.start(env, "scale-\($0)", group: "g-scale") }
        for worker in joining { try await Self.awaitLine(worker, Self.betweenJoinAndSync, within: .seconds(120)) }
        for worker in joining { worker.signal(SIGTERM) }
        for worker in joining { try await Self.expectCleanExit(worker, "fleet stopped while joining") }
        await env.stop()
    }
}
