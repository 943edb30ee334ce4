import ArgumentParser
import CommandSupport
import DollrSandbox
import Foundation
import Logging
import ServiceLifecycle

/// `payout-lab sandbox`: a faithful fake of Dollr's API for the worker, curl and the test suites.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Runs the Dollr sandbox server.",
        discussion: """
            Prints `listening on http://HOST:PORT` as the first line of stdout; logs go to stderr.
            The merchant comes from DOLLR_CLIENT_ID, DOLLR_CLIENT_SECRET, MERCHANT_PASSCODE and
            MERCHANT_PASSCODE_PHONE (defaults: sandbox-client, sandbox-secret, 123456, 231770000001),
            the secrets also from DOLLR_CLIENT_SECRET_FILE and MERCHANT_PASSCODE_FILE, as the worker reads them.
            --config takes a JSON file: see SandboxConfiguration. Admin API under /_sandbox/.
            """
    )

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free port.")
    var port = 8080

    @Option(name: .customLong("config"), help: "JSON configuration file.")
    var configFile: String?

    @OptionGroup var logging: LoggingOptions

    /// How long a stop lets requests in flight finish before cancelling them.
    static let gracePeriod = Duration.seconds(5)

    func run() async throws {
        let logger = logging.bootstrap(label: "dollr-sandbox")
        let stop = await SignalledStop()
        let json = try self.configFile.map { path in
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read configuration file \(path)")
            }
            return [UInt8](data)
        }
        let configuration = try SandboxConfiguration.load(json: json, environment: ProcessInfo.processInfo.environment)
        let service = SandboxService(
            sandbox: Sandbox(configuration: configuration, logger: logger),
            host: self.host,
            port: self.port,
            logger: logger
        ) { host, port in
            let shownHost = host.contains(":") ? "[\(host)]" : host
            StandardOutput.writeLine("listening on http://\(shownHost):\(port)")
        }
        var groupConfiguration = ServiceGroupConfiguration(services: [.init(service: service)], logger: logger)
        // In-flight requests (a hang fault's included) get this long, then are cancelled.
        groupConfiguration.maximumGracefulShutdownDuration = Self.gracePeriod
        let group = ServiceGroup(configuration: groupConfiguration)
        try await stop.run(
            bound: Self.gracePeriod + .seconds(5),
            logger: logger,
            shutdown: { await group.triggerGracefulShutdown() }
        ) {
            try await group.run()
        }
    }
}
