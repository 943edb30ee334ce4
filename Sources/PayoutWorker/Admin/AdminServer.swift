import Hummingbird
public import Logging
public import ServiceLifecycle

/// The worker's admin HTTP endpoint, as a `Service`: put it in the worker's `ServiceGroup`; `run()` returns on
/// graceful shutdown once in-flight requests are answered.
///
/// - `GET /healthz`: 200 `{"status":"ok"}` while the process runs (liveness; it checks nothing else on purpose, so a
///   broken dependency does not get the process restarted in a loop).
/// - `GET /readyz`: 200 when every check of `readiness()` is `.ok`, 503 otherwise, with each check in the body
///   (see ``ReadinessReport``).
/// - `GET /metrics`: `metrics.render()` as `text/plain; version=0.0.4`.
/// - `/console`: the operator console, when one is given (see ``Console``).
public struct AdminServer: Service {
    private let application: Application<RouterResponder<BasicRequestContext>>

    /// - Parameters:
    ///   - host: Address to bind. Loopback by default: metrics and readiness are for the node's agents, not the world.
    ///   - port: Port to bind; 0 picks a free one, reported through `onListening`.
    ///   - readiness: Builds the report for each `/readyz` request; it should answer quickly (probes time out).
    ///   - onListening: Called once with the bound port when the server accepts connections.
    public init(
        host: String = "127.0.0.1",
        port: Int,
        metrics: WorkerMetrics,
        readiness: @escaping @Sendable () async -> ReadinessReport,
        console: Console? = nil,
        logger: Logger,
        onListening: @escaping @Sendable (_ port: Int) -> Void = { _ in }
    ) {
        let router = Router(context: BasicRequestContext.self)
        router.get("healthz") { _, _ in AdminResponses.liveness() }
        router.get("readyz") { _, _ in AdminResponses.readiness(await readiness()) }
        router.get("metrics") { _, _ in AdminResponses.metrics(metrics.render()) }
        console?.register(on: router)
        self.application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "payout-worker"),
            onServerRunning: { channel in
                onListening(channel.localAddress?.port ?? port)
            },
            logger: logger
        )
    }

    public func run() async throws {
        try await self.application.run()
    }
}
