import DollrClient
import EmbeddedKafka
import Foundation
import Kafka
import LocalPostgres
import PayoutEngine
import PayoutWorker
import TestSupport
import Testing

/// The worker as users deploy it: `payout-worker run` processes, configured by a file and the
/// environment, stopped by signals.
@Suite("payout-worker run as a process")
struct WorkerProcessTests {
    /// A started `payout-worker run`, and the admin port it serves /healthz on.
    struct Worker {
        var process: ChildProcess
        var adminPort: Int

        /// Waits until the admin server answers: the runtime is running and signals are trapped.
        func waitUntilLive() async throws {
            try await eventually("worker \(adminPort) live", within: .seconds(60)) {
                (try? await HTTPProbe.get(port: adminPort, "/healthz"))?.status == 200
            }
        }

        func signal(_ signal: Int32) { process.signal(signal) }
        func waitForExit(within limit: Duration = .seconds(60)) async throws -> Int32 {
            try await process.waitForExit(within: limit)
        }
        var stderr: String { process.stderr }

        /// Waits on the test's own records; a deadline's failure says what this worker logged.
        func whileRunning(
            _ what: String,
            within limit: Duration,
            _ condition: @escaping @Sendable () async -> Void
        ) async throws {
            do {
                try await withDeadline(limit, what, condition)
            } catch {
                Issue.record("\(what): worker \(adminPort) stderr: \(stderr.suffix(3000))")
                throw error
            }
        }
    }

    /// Short leases and session timeouts, so a killed worker's work moves on within seconds.
    static let quickFailoverConfig = #"""
        {"kafka": {"consumer_properties": {"session.timeout.ms": "6000", "heartbeat.interval.ms": "500"}},
         "engine": {"lease_ms": 3000, "poll_initial_delay_ms": 50, "poll_maximum_delay_ms": 300, "retry_base_delay_ms": 50},
         "dollr": {"request_timeout_ms": 2000},
         "shutdown_timeout_ms": 20000}
        """#

    static func startWorker(
        _ env: RuntimeEnvironment,
        id: String,
        storeURL: String,
        directory: URL,
        config: String = quickFailoverConfig,
        environment: [String: String] = [:]
    ) throws -> Worker {
        let file = directory.appendingPathComponent("\(id).json")
        try Data(config.utf8).write(to: file)
        let adminPort = try LoopbackPort.free()
        let process = try ChildProcess(
            ChildProcess.payoutWorkerBinary,
            arguments: ["run", "--config", file.path],
            environment: [
                "PAYOUT_KAFKA_BROKERS": env.cluster.bootstrapServers,
                "PAYOUT_STORE_URL": storeURL,
                "DOLLR_BASE_URL": env.sandbox.baseURL.absoluteString,
                "PAYOUT_ADMIN_PORT": "\(adminPort)",
                "PAYOUT_WORKER_ID": id,
                "PAYOUT_LOG_LEVEL": "warning",
            ].merging(environment) { _, given in given }
        )
        return Worker(process: process, adminPort: adminPort)
    }

    /// A migrated store with a USD wallet large enough for every payout of the test.
    static func storeWithWallet(_ url: String) async throws -> any PayoutStore {
        let store = try await PayoutStoreFactory.open(url: url, logger: quietLogger)
        try await store.migrate()
        try await store.setWallet(id: "1", currency: "USD", balanceMinor: 100_000_000, now: 0)
        return store
    }

    /// Ground truth from the sandbox: Dollr accepted each reference_id once, and the workers never
    /// sent an execute for one it had already accepted (so Dollr's own duplicate guard was not what
    /// kept it from being paid twice). An execute Dollr refused for another reason is harmless.
    static func expectExecutedExactlyOnce(_ keys: Set<String>, _ env: RuntimeEnvironment) {
        let ledger = env.sandbox.sandbox.ledgerSnapshot()
        let odd = keys.compactMap { key -> String? in
            guard let execution = ledger.execution(key) else { return "\(key): never executed" }
            if execution.accepted && execution.duplicateExecuteCalls == 0 { return nil }
            return
                "\(key): \(execution.executeCalls) execute calls, accepted \(execution.accepted), refused \(execution.refusals)"
        }
        #expect(odd.isEmpty, "each executed exactly once; \(odd.count) not: \(odd.prefix(3))")
    }

    /// Final statuses seen per reference_id (re-emitted events, which repeat an id, counted once).
    static func finals(_ messages: [KafkaMessage]) -> [String: Set<String>] {
        var finals: [String: Set<String>] = [:]
        for message in messages {
            guard let status = message.json["status"] as? String,
                ["COMPLETED", "FAILED", "REQUIRES_REVIEW"].contains(status),
                let id = message.header("ce_id"), let reference = message.header("ce_subject")
            else { continue }
            finals[reference, default: []].insert(id)
        }
        return finals
    }

    @Test(
        "SIGTERM mid-work: exit 0 with no payout left leased; a second worker then ends every payout with one final status, executed once"
    )
    func sigtermDrainLosesNothing() async throws {
        let env = try await RuntimeEnvironment.start()
        env.sandbox.sandbox.updateFaults { $0.processingMs = 300 }
        let storeURL = env.configuration.storeURL
        let store = try await Self.storeWithWallet(storeURL)

        let statuses = Recorder<KafkaMessage>()
        let (reader, readerTask) = try env.subscribe("payouts.status", into: statuses)
        let first = try Self.startWorker(env, id: "w1", storeURL: storeURL, directory: env.directory)
        let references = (0..<300).map { _ in UUID() }
        let producer = try env.producer()
        #expect(await producer.sendAll(references.map { Commands.record($0) }).allSatisfy { (try? $0.get()) != nil })
        try await first.whileRunning("work under way", within: .seconds(180)) {
            await statuses.wait { msgs in Self.finals(msgs).count >= 30 }
        }

        first.signal(SIGTERM)
        #expect(try await first.waitForExit(within: .seconds(60)) == 0, "graceful exit: \(first.stderr.suffix(1500))")
        // Every command consumed before the stop is recorded; none is held by a lease.
        for reference in references {
            if let payout = try await store.payout(referenceID: reference.uuidString.lowercased()), !payout.isFinal {
                #expect(
                    payout.leaseOwner == nil || (payout.leaseExpiresAt ?? 0) <= StoreClock.system.now() + 3_000,
                    "parked, not held"
                )
            }
        }

        let second = try Self.startWorker(env, id: "w2", storeURL: storeURL, directory: env.directory)
        let keys = Set(references.map { $0.uuidString.lowercased() })
        try await second.whileRunning("every payout final", within: .seconds(180)) {
            await statuses.wait { msgs in Set(Self.finals(msgs).keys) == keys }
        }
        let finals = Self.finals(statuses.elements)
        #expect(finals.values.allSatisfy { $0.count == 1 }, "one final status each")
        Self.expectExecutedExactlyOnce(keys, env)
        // The first worker may have finished everything while draining; stop the second only
        // once it is running, which is what this test is about (a stop during start-up is kept
        // and honoured too, but the process cannot trap before its `main` runs).
        try await second.waitUntilLive()
        second.signal(SIGTERM)
        #expect(try await second.waitForExit(within: .seconds(60)) == 0, "graceful exit: \(second.stderr.suffix(1500))")

        await reader.close()
        _ = try? await readerTask.value
        await producer.close()
        await store.close()
        await env.stop()
    }

    @Test("two workers on PostgreSQL in one group, one killed midway: every payout executed exactly once and answered")
    func killedWorkerOnPostgres() async throws {
        let env = try await RuntimeEnvironment.start()
        env.sandbox.sandbox.updateFaults { $0.processingMs = 200 }
        let storeURL = try await LocalPostgresServer.shared.createDatabase()
        let store = try await Self.storeWithWallet(storeURL)

        let statuses = Recorder<KafkaMessage>()
        let (reader, readerTask) = try env.subscribe("payouts.status", into: statuses)
        let doomed = try Self.startWorker(env, id: "w1", storeURL: storeURL, directory: env.directory)
        let survivor = try Self.startWorker(env, id: "w2", storeURL: storeURL, directory: env.directory)
        let references = (0..<400).map { _ in UUID() }
        let producer = try env.producer()
        #expect(await producer.sendAll(references.map { Commands.record($0) }).allSatisfy { (try? $0.get()) != nil })
        try await doomed.whileRunning("work under way", within: .seconds(180)) {
            await statuses.wait { msgs in Self.finals(msgs).count >= 60 }
        }

        doomed.signal(SIGKILL)
        _ = try await doomed.waitForExit()
        let keys = Set(references.map { $0.uuidString.lowercased() })
        try await survivor.whileRunning("every payout final", within: .seconds(180)) {
            await statuses.wait { msgs in Set(Self.finals(msgs).keys) == keys }
        }
        #expect(Self.finals(statuses.elements).values.allSatisfy { $0.count == 1 }, "one final status each")
        Self.expectExecutedExactlyOnce(keys, env)
        #expect(try await store.wallets().allSatisfy { $0.heldMinor == 0 })

        try await survivor.waitUntilLive()
        // What an operator sees of the survivor: ready, and metrics that tell the story.
        try await eventually("the survivor ready", within: .seconds(60)) {
            (try? await HTTPProbe.get(port: survivor.adminPort, "/readyz"))?.status == 200
        }
        let scrape = try await HTTPProbe.get(port: survivor.adminPort, "/metrics")
        #expect(scrape.status == 200)
        for series in [
            "payout_commands_consumed_total", #"payout_executions_total{status="COMPLETED""#,
            #"payout_provider_call_duration_seconds_bucket{call="execute""#, "payout_outbox_backlog",
        ] {
            #expect(scrape.body.contains(series), "\(series) scraped")
        }
        survivor.signal(SIGTERM)
        #expect(
            try await survivor.waitForExit(within: .seconds(60)) == 0,
            "graceful exit: \(survivor.stderr.suffix(1500))"
        )
        await reader.close()
        _ = try? await readerTask.value
        await producer.close()
        await store.close()
        await env.stop()
    }

    @Test(
        "a worker SIGKILLed after its payouts ended: every command read again emits nothing; an upstream duplicate re-emits once"
    )
    func redeliveryAfterKillEmitsNothing() async throws {
        let env = try await RuntimeEnvironment.start()
        let storeURL = env.configuration.storeURL
        let store = try await Self.storeWithWallet(storeURL)
        let statuses = Recorder<KafkaMessage>()
        let (reader, readerTask) = try env.subscribe("payouts.status", into: statuses)
        let first = try Self.startWorker(env, id: "w1", storeURL: storeURL, directory: env.directory)
        let references = (0..<40).map { _ in UUID() }
        let keys = Set(references.map { $0.uuidString.lowercased() })
        let producer = try env.producer()
        #expect(await producer.sendAll(references.map { Commands.record($0) }).allSatisfy { (try? $0.get()) != nil })
        try await first.whileRunning("every payout final", within: .seconds(180)) {
            await statuses.wait { Set(Self.finals($0).keys) == keys }
        }
        try await eventually("the outbox empty", within: .seconds(30)) { (try? await store.outboxBacklog()) == 0 }
        first.signal(SIGKILL)
        _ = try await first.waitForExit()
        let published = statuses.elements.count

        // A new group reads the topic from its start: every command is read again at its place,
        // the most a crash before an offset commit can make a worker re-read.
        let rereadConfig = Self.quickFailoverConfig.replacingOccurrences(
            of: #"{"kafka": {"#,
            with: #"{"kafka": {"group_id": "rereaders", "#
        )
        let second = try Self.startWorker(
            env,
            id: "w2",
            storeURL: storeURL,
            directory: env.directory,
            config: rereadConfig
        )
        try await eventually("every command read again", within: .seconds(90)) {
            guard let answer = try? await HTTPProbe.get(port: second.adminPort, "/metrics"),
                let scrape = try? PrometheusExposition(parsing: answer.body)
            else { return false }
            return scrape.value("payout_commands_total", ["result": "redelivered"]) == Double(references.count)
        }
        let duplicate = references[7].uuidString.lowercased()
        #expect(await producer.sendAll([Commands.record(references[7])]).allSatisfy { (try? $0.get()) != nil })
        try await withDeadline(.seconds(60), "the duplicate answered") { await statuses.wait { $0.count > published } }
        try await eventually("the outbox empty", within: .seconds(30)) { (try? await store.outboxBacklog()) == 0 }
        let answer = try await HTTPProbe.get(port: second.adminPort, "/metrics")
        let scrape = try PrometheusExposition(parsing: answer.body)
        #expect(scrape.value("payout_commands_total", ["result": "duplicate"]) == 1)
        #expect(
            scrape.value("payout_events_published_total") == 1,
            "the second worker published the duplicate's answer only"
        )
        let answered = try #require(statuses.elements[published...].first)
        #expect(answered.header("ce_subject") == duplicate)
        #expect(answered.json["status"] as? String == "COMPLETED", "its latest event, re-emitted")

        second.signal(SIGTERM)
        #expect(try await second.waitForExit(within: .seconds(60)) == 0, "graceful exit: \(second.stderr.suffix(1500))")
        await reader.close()
        _ = try? await readerTask.value
        await producer.close()
        await store.close()
        await env.stop()
    }

    @Test("SIGTERM with the broker and the store both gone: exit 0 within shutdown_timeout_ms")
    func sigtermWithBrokerAndStoreGone() async throws {
        let env = try await RuntimeEnvironment.start()
        env.sandbox.sandbox.updateFaults { $0.processingMs = 300 }  // payouts in flight at the stop
        let storeURL = try await LocalPostgresServer.shared.createDatabase()
        let store = try await Self.storeWithWallet(storeURL)

        let statuses = Recorder<KafkaMessage>()
        let (reader, readerTask) = try env.subscribe("payouts.status", into: statuses)
        // librdkafka's session timeout (45 s) as deployed: with the broker gone, its synchronous
        // commit and close each waited that long during the drain.
        let worker = try Self.startWorker(
            env,
            id: "w1",
            storeURL: storeURL,
            directory: env.directory,
            config: #"""
                {"engine": {"poll_initial_delay_ms": 50, "poll_maximum_delay_ms": 300, "retry_base_delay_ms": 50},
                 "shutdown_timeout_ms": 10000}
                """#
        )
        let producer = try env.producer()
        #expect(
            await producer.sendAll((0..<300).map { _ in Commands.record(UUID()) }).allSatisfy { (try? $0.get()) != nil }
        )
        try await withDeadline(.seconds(90), "work under way") {
            await statuses.wait { msgs in Self.finals(msgs).count >= 10 }
        }

        // The chaos runs' state: PostgreSQL refuses the worker's connections (pooled requests wait
        // for one that never comes) and the broker is unreachable.
        try await Self.refuseConnections(to: storeURL)
        try await env.cluster.setBrokerDown(1)
        worker.signal(SIGTERM)
        // Generous deadline; the bound itself is told apart by the exit status: the watchdog
        // exits 70 once the drain overruns shutdown_timeout_ms by 10 s.
        let status = try await worker.waitForExit(within: .seconds(90))
        #expect(status == 0, "graceful exit: \(worker.stderr.suffix(3000))")
        #expect(!worker.stderr.contains("overran"))

        try await env.cluster.setBrokerUp(1)
        await reader.close()
        _ = try? await readerTask.value
        await producer.close()
        await store.close()
        await env.stop()
    }

    /// Makes a test database refuse new connections and ends the open ones, as a store that has
    /// gone away would.
    static func refuseConnections(to storeURL: String) async throws {
        let server = try await LocalPostgresServer.shared.instance()
        let name = String(storeURL.split(separator: "/").last!.split(separator: "?").first!)
        let sql =
            "ALTER DATABASE \(name) ALLOW_CONNECTIONS false; "
            + "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)';"
        let psql = try ChildProcess(
            URL(fileURLWithPath: "\(server.binDirectory)/psql"),
            arguments: [
                "-h", server.host, "-p", "\(server.port)", "-U", server.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
                "-c", sql,
            ],
            environment: ["PGPASSWORD": server.password]
        )
        #expect(try await psql.waitForExit() == 0, "psql: \(psql.stderr)")
    }
}
