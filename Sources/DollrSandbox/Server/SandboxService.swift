import Hummingbird
public import Logging
public import ServiceLifecycle

/// The sandbox HTTP server as a `Service`: put it in a `ServiceGroup` and it runs until graceful shutdown.
public struct SandboxService: Service {
    public let sandbox: Sandbox
    private let application: Application<RouterResponder<BasicRequestContext>>

    /// - Parameters:
    ///   - host: Address to bind; loopback unless told otherwise.
    ///   - port: Port to bind; 0 picks a free one.
    ///   - onListening: Called once with the bound host and port.
    public init(
        sandbox: Sandbox,
        host: String = "127.0.0.1",
        port: Int = 8080,
        logger: Logger,
        onListening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
    ) {
        self.sandbox = sandbox
        let routes = RouteTable()
        DollrAPIRoutes(sandbox: sandbox).register(on: routes)
        AdminRoutes(sandbox: sandbox).register(on: routes)
        self.application = Application(
            router: routes.finish(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "dollr-sandbox"),
            onServerRunning: { channel in
                await onListening(host, channel.localAddress?.port ?? port)
            },
            logger: logger
        )
    }

    public func run() async throws {
        self.sandbox.logger.info(
            "sandbox starting",
            metadata: ["seed": "\(self.sandbox.seed)", "client_id": "\(self.sandbox.configuration.merchant.clientID)"]
        )
        try await self.application.run()
    }
}
