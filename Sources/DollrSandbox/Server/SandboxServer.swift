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
    private let shutdownGracePeriod: Duration
    private let logger: Logger

    /// `http://HOST:PORT`, the client's base URL.
    public let baseURL: URL

    private init(
        sandbox: Sandbox,
        host: String,
        port: Int,
        baseURL: URL,
        group: ServiceGroup,
        running: Task<Void, any Error>,
        shutdownGracePeriod: Duration,
        logger: Logger
    ) {
        self.sandbox = sandbox
        self.host = host
        self.port = port
        self.baseURL = baseURL
        self.group = group
        self.running = running
        self.shutdownGracePeriod = shutdownGracePeriod
        self.logger = logger
    }

    /// How long ``stop()`` waits, past the grace period, for cancelled requests to end.
    static let cancellationBound = Duration.seconds(5)

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
        let listening = OnceContinuation<Int>()
        let service = SandboxService(sandbox: sandbox, host: host, port: port, logger: logger) { _, port in
            listening.resume(with: .success(port))
        }
        var groupConfiguration = ServiceGroupConfiguration(services: [.init(service: service)], logger: logger)
        // Graceful shutdown is escalated to cancellation after the grace period. Not
        // `maximumCancellationDuration`: past it ServiceLifecycle calls fatalError, and a response
        // still being written to a slow client under load outlasted it, killing the whole process
        // that hosts the sandbox (a test runner, a demo, bench or chaos run). ``stop()`` bounds
        // its own wait instead.
        groupConfiguration.maximumGracefulShutdownDuration = shutdownGracePeriod
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
        guard let baseURL = URL(string: "http://\(host.contains(":") ? "[\(host)]" : host):\(boundPort)") else {
            await group.triggerGracefulShutdown()
            _ = await running.result
            throw SandboxStartError()
        }
        return SandboxServer(
            sandbox: sandbox,
            host: host,
            port: boundPort,
            baseURL: baseURL,
            group: group,
            running: running,
            shutdownGracePeriod: shutdownGracePeriod,
            logger: logger
        )
    }

    /// Stops accepting connections, lets in-flight requests finish within the grace period, then
    /// cancels them. Returns once the server has stopped, or, should a cancelled request still not
    /// have ended ``cancellationBound`` later, with a warning: the server then finishes on its own
    /// and the caller goes on.
    public func stop() async {
        await self.group.triggerGracefulShutdown()
        let outcome = OnceContinuation<Bool>()
        let running = self.running
        let waiter = Task {
            _ = await running.result
            outcome.resume(with: .success(true))
        }
        let timer = Task { [limit = self.shutdownGracePeriod + Self.cancellationBound] in
            try? await Task.sleep(for: limit)
            outcome.resume(with: .success(false))
        }
        let stopped = (try? await outcome.value) ?? false
        timer.cancel()
        if !stopped {
            waiter.cancel()
            self.logger.warning(
                "sandbox did not stop in time; leaving it to finish on its own",
                metadata: [
                    "grace_period": "\(self.shutdownGracePeriod)", "cancellation_bound": "\(Self.cancellationBound)",
                ]
            )
        }
    }
}

/// The server stopped before it ever listened.
public struct SandboxStartError: Error, CustomStringConvertible {
    public var description: String { "the sandbox stopped before it started listening" }
}

/// A value delivered once, awaited once; later deliveries are ignored.
private final class OnceContinuation<Value: Sendable>: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Value, any Error>)
        case done(Result<Value, any Error>)
    }

    private let state = Mutex(State.idle)

    func resume(with result: Result<Value, any Error>) {
        let continuation = self.state.withLock { state -> CheckedContinuation<Value, any Error>? in
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

    var value: Value {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready = self.state.withLock { state -> Result<Value, any Error>? in
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
