public import Logging
import ServiceLifecycle
import Synchronization

public import struct Foundation.URL

/// A sandbox running in-process, for tests and for the demo, bench and chaos commands.
///
/// ```swift
/// let server = try await SandboxServer.start(configuration: SandboxConfiguration(), logger: logger)
/// defer { ... await server.stop() }
/// let client = DollrClient(configuration: .init(baseURL: server.baseURL, credentials: .sandboxDefaults), logger: logger)
/// ```
public final class SandboxServer: Sendable {
    public let sandbox: Sandbox
    public let host: String
    /// The bound port (the real one when started with port 0).
    public let port: Int
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    /// `http://HOST:PORT`, the client's base URL.
    public var baseURL: URL {
        URL(string: "http://\(self.host.contains(":") ? "[\(self.host)]" : self.host):\(self.port)")!
    }

    private init(sandbox: Sandbox, host: String, port: Int, group: ServiceGroup, running: Task<Void, any Error>) {
        self.sandbox = sandbox
        self.host = host
        self.port = port
        self.group = group
        self.running = running
    }

    /// Starts a sandbox and returns once it is listening.
    /// - Parameter shutdownGracePeriod: how long ``stop()`` lets in-flight requests (hangs included) finish before
    ///   cancelling them.
    public static func start(
        configuration: SandboxConfiguration = SandboxConfiguration(),
        host: String = "127.0.0.1",
        port: Int = 0,
        shutdownGracePeriod: Duration = .seconds(1),
        logger: Logger
    ) async throws -> SandboxServer {
        let sandbox = Sandbox(configuration: configuration, logger: logger)
        let listening = OnceContinuation()
        let service = SandboxService(sandbox: sandbox, host: host, port: port, logger: logger) { _, port in
            listening.resume(with: .success(port))
        }
        var groupConfiguration = ServiceGroupConfiguration(services: [.init(service: service)], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = shutdownGracePeriod
        groupConfiguration.maximumCancellationDuration = shutdownGracePeriod
        let group = ServiceGroup(configuration: groupConfiguration)
        let running = Task {
            do {
                try await group.run()
                listening.resume(with: .failure(SandboxStartError()))
            } catch {
                listening.resume(with: .failure(error))
                throw error
            }
        }
        let boundPort = try await listening.value
        return SandboxServer(sandbox: sandbox, host: host, port: boundPort, group: group, running: running)
    }

    /// Stops accepting connections, lets in-flight requests finish within the grace period, and waits.
    public func stop() async {
        await self.group.triggerGracefulShutdown()
        _ = await self.running.result
    }
}

/// The server stopped before it ever listened.
public struct SandboxStartError: Error, CustomStringConvertible {
    public var description: String { "the sandbox stopped before it started listening" }
}

/// A value delivered once, awaited once; later deliveries are ignored.
private final class OnceContinuation: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Int, any Error>)
        case done(Result<Int, any Error>)
    }

    private let state = Mutex(State.idle)

    func resume(with result: Result<Int, any Error>) {
        let continuation = self.state.withLock { state -> CheckedContinuation<Int, any Error>? in
            switch state {
            case .idle:
                state = .done(result)
                return nil
            case .waiting(let continuation):
                state = .done(result)
                return continuation
            case .done:
                return nil
            }
        }
        continuation?.resume(with: result)
    }

    var value: Int {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready = self.state.withLock { state -> Result<Int, any Error>? in
                    switch state {
                    case .idle:
                        state = .waiting(continuation)
                        return nil
                    case .waiting:
                        preconditionFailure("awaited twice")
                    case .done(let result):
                        return result
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }
}
