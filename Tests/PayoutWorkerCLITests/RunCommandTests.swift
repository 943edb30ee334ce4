import Foundation
import LocalPostgres
import Synchronization
import TestSupport
import Testing

@Suite("payout-worker run")
struct RunCommandTests {
    @Test(
        "an invalid setting stops start-up with the key named, before anything connects",
        arguments: [
            (["PAYOUT_ADMIN_PORT": "70000"], "PAYOUT_ADMIN_PORT"),
            (["PAYOUT_STORE_URL": "mysql://db/payouts"], "PAYOUT_STORE_URL"),
            (["PAYOUT_MAX_INFLIGHT": "10"], "PAYOUT_MAX_INFLIGHT"),
            (["MERCHANT_PASSCODE_PHONE": "not-a-phone"], "MERCHANT_PASSCODE_PHONE"),
        ]
    )
    func invalidSettingNamesItsKey(environment: [String: String], key: String) async throws {
        var env = environment
        env["DOLLR_CLIENT_SECRET"] = "do-not-print-me"
        let run = try ChildProcess(ChildProcess.payoutWorkerBinary, arguments: ["run"], environment: env)
        #expect(try await run.waitForExit(within: .seconds(30)) == 78)
        #expect(run.stderr.contains(key), "\(run.stderr)")
        #expect(!run.stderr.contains("do-not-print-me"))
        #expect(!run.stderr.contains("not-a-phone"))
    }

    /// A stop can come at any moment after exec: an orchestrator stopping a pod that has just
    /// started, a chaos schedule, a test that gives up. The worker has nothing to reach here (no
    /// broker, no Dollr), so a signal always finds it starting up. The child starts with SIGTERM
    /// and SIGINT blocked, as a careful spawner hands them over: a signal sent right after the
    /// spawn then arrives while the dynamic loader is still at work and waits, pending, for the
    /// worker's own code, which is the only way to keep one from before any of that code runs.
    @Test(
        "SIGTERM or SIGINT at any moment of start-up exits 0: right after exec, 5 ms and 20 ms after it",
        arguments: [(SIGTERM, 0), (SIGTERM, 1), (SIGTERM, 5), (SIGTERM, 20), (SIGINT, 0), (SIGINT, 5)]
    )
    func stopDuringStartUp(signal: Int32, afterMilliseconds delay: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("run-stop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try ChildProcess(
            ChildProcess.payoutWorkerBinary,
            arguments: ["run"],
            environment: [
                "PAYOUT_STORE_URL": "sqlite://\(directory.path)/payouts.db",
                "PAYOUT_KAFKA_BROKERS": "127.0.0.1:\(try LoopbackPort.free())",
                "DOLLR_BASE_URL": "http://127.0.0.1:\(try LoopbackPort.free())",
                "PAYOUT_ADMIN_PORT": "\(try LoopbackPort.free())",
            ],
            blockedSignals: [SIGTERM, SIGINT]
        )
        // The moment of the signal is what is under test, not a wait for something to happen.
        if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
        run.signal(signal)
        let status = try await run.waitForExit(within: .seconds(60))
        #expect(status == 0, "exit \(status) after a signal at \(delay) ms: \(run.stderr.suffix(2000))")
    }

    /// A worker stopped while it still waits for its store, as an orchestrator stops a pod whose
    /// database is down: it tries to connect for about a minute, and the stop must not wait for
    /// those attempts to run out. Nothing runs yet, so it exits 0 at once.

    @Test(
        "SIGTERM while start-up waits for a PostgreSQL that does not answer exits 0 at once: nothing runs yet"
    )
    func stopWhileTheStoreIsUnreachable() async throws {
        // A PostgreSQL that does not answer: it accepts the connection and says nothing, so the
        // worker's start-up waits, as it does on a server that is going away.
        let server = try SilentListener()
        defer { server.stop() }
        let run = try ChildProcess(
            ChildProcess.payoutWorkerBinary,
            arguments: ["run"],
            environment: [
                "PAYOUT_STORE_URL": "postgres://postgres:secret@127.0.0.1:\(server.port)/payouts?sslmode=disable",
                "PAYOUT_KAFKA_BROKERS": "127.0.0.1:\(try LoopbackPort.free())",
                "DOLLR_BASE_URL": "http://127.0.0.1:\(try LoopbackPort.free())",
                "PAYOUT_ADMIN_PORT": "0",
            ]
        )
        try await eventually("the worker's connection attempts under way", within: .seconds(60)) {
            server.accepted.load(ordering: .relaxed) >= 1
        }
        run.signal(SIGTERM)
        // A stop that waited for the store to answer would end in a failed start-up, exit 1.
        let status = try await run.waitForExit(within: .seconds(30))
        #expect(status == 0, "exit \(status): \(run.stderr.suffix(2000))")
        #expect(run.stderr.contains("SIGTERM while starting"))
    }
}

private struct ListenerFailure: Error {
    let errno: Int32
}

/// A loopback listener that accepts every connection and never answers on it.
private final class SilentListener: Sendable {
    let port: Int
    let accepted = Atomic(0)
    private let descriptor: Int32
    private let connections = Mutex<[Int32]>([])

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 16) == 0
                    && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw ListenerFailure(errno: errno) }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in
            while true {
                let connection = accept(descriptor, nil, nil)
                if connection < 0 { return }
                connections.withLock { $0.append(connection) }
                accepted.add(1, ordering: .relaxed)
            }
        }
        thread.start()
    }

    /// Ends the accepting thread (accept fails once the socket is shut down) and the connections.
    func stop() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        close(descriptor)
        for connection in connections.withLock({ $0 }) { close(connection) }
    }
}
