import Foundation
import Logging
import TestSupport
import Testing

@testable import PayoutLab

/// The demo stops what it started on every path out of it, a failure half-way included.
@Suite("demo teardown")
struct DemoTeardownTests {
    struct Failure: Error {}

    /// Records the order the steps ran in; one task only, like the demo's.
    final class Log {
        var entries: [String] = []
    }

    @Test("the steps run latest first, each once, whether the body returns or throws")
    func order() async throws {
        let log = Log()
        let value = try await Teardown.around { teardown in
            teardown.add { log.entries.append("first") }
            teardown.add { log.entries.append("second") }
            return 7
        }
        #expect(value == 7)
        #expect(log.entries == ["second", "first"])

        log.entries = []
        await #expect(throws: Failure.self) {
            try await Teardown.around { teardown in
                teardown.add { log.entries.append("started") }
                try await Teardown.around { inner in
                    inner.add { log.entries.append("inner") }
                    throw Failure()
                }
                teardown.add { log.entries.append("never added") }
            }
        }
        #expect(log.entries == ["inner", "started"])
    }

    /// curl's exit status 7: nothing accepts connections on the port.
    static func refusesConnections(_ hostAndPort: String) async throws -> Bool {
        let (status, _) = try await runCommand(
            "/usr/bin/curl",
            ["--silent", "--max-time", "5", "--noproxy", "*", "--output", "/dev/null", "http://\(hostAndPort)/"]
        )
        return status == 7
    }

    @Test("a failure once the worker runs stops the worker, the broker and the sandbox, and removes the store")
    func failureHalfWay() async throws {
        var logger = Logger(label: "demo-teardown-test")
        logger.logLevel = .warning
        let workload = CommandWorkload(total: 20, topic: "payouts.commands", seed: 1)
        let opening = workload.walletsTooSmallForAll
        var addresses: [String] = []
        var directory: URL?
        await #expect(throws: Failure.self) {
            try await Teardown.around { teardown in
                let environment = try await DemoEnvironment.start(
                    seed: 1,
                    opening: opening,
                    logger: logger,
                    teardown: teardown
                )
                directory = environment.directory
                try await Teardown.around { workerTeardown in
                    let worker = try await DemoWorker.start(
                        on: environment,
                        opening: opening,
                        logger: logger,
                        teardown: workerTeardown
                    )
                    _ = try environment.startReaders(logger: logger, teardown: workerTeardown)
                    let admin = try #require(await worker.runtime.waitForAdminPort())
                    addresses = [
                        "127.0.0.1:\(admin)", environment.cluster.bootstrapServers,
                        try #require(environment.sandbox.baseURL.host()).appending(
                            ":\(try #require(environment.sandbox.baseURL.port))"
                        ),
                    ]
                    for address in addresses {
                        #expect(try await !Self.refusesConnections(address), "\(address) is not up")
                    }
                    #expect(FileManager.default.fileExists(atPath: environment.directory.path))
                    throw Failure()
                }
            }
        }
        #expect(addresses.count == 3)
        for address in addresses {
            #expect(try await Self.refusesConnections(address), "\(address) still accepts connections")
        }
        let store = try #require(directory)
        #expect(!FileManager.default.fileExists(atPath: store.path), "\(store.path) is left behind")
    }
}
