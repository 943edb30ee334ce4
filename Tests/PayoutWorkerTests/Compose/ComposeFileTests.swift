import Foundation
import PayoutWorker
import Testing
import Yams

/// docker-compose.yml, read as data: no Docker engine runs here, so these checks are what stands
/// between a typo in the file and a replica that does not start.
@Suite("docker-compose.yml")
struct ComposeFileTests {
    /// A service of the file: its name and its node.
    struct Service {
        var key: String
        var value: Node
    }

    static func compose() throws -> Node {
        try #require(try Yams.compose(yaml: try Repository.text("docker-compose.yml")), "docker-compose.yml is empty")
    }

    /// The services in the file's order.
    static func services() throws -> [Service] {
        let services = try #require(try Self.compose()["services"]?.mapping, "no services mapping")
        return services.map { Service(key: $0.key.string ?? "", value: $0.value) }
    }

    /// Services that run `payout-worker run`.
    static func workers() throws -> [Service] {
        try Self.services().filter { $0.value["command"]?.strings == ["run"] }
    }

    /// A service's environment mapping (this file writes it as a mapping, not a KEY=value list).
    static func environment(of service: Node) throws -> [String: String] {
        let node = try #require(service["environment"]?.mapping, "service without an environment mapping")
        var environment: [String: String] = [:]
        for (key, value) in node {
            let name = key.string ?? ""
            guard let scalar = value.scalar else {
                Issue.record("environment \(name) is not a scalar")
                continue
            }
            // Compose reads YAML 1.1: plain true/yes/on become booleans, which it refuses here.
            let booleanLike = ["true", "false", "yes", "no", "on", "off", "y", "n"]
            #expect(
                !(scalar.style == .plain && booleanLike.contains(scalar.string.lowercased())),
                "quote the value of \(name)"
            )
            environment[name] = scalar.string
        }
        return environment
    }

    /// The `ENV KEY=value` settings of the workers' image: the Dockerfile's last stage, its default target.
    static func imageEnvironment() throws -> [String: String] {
        let lines = try Repository.text("Dockerfile").split(separator: "\n")
        let runtime = lines[(lines.lastIndex { $0.hasPrefix("FROM ") } ?? lines.startIndex)...]
        var environment: [String: String] = [:]
        for line in runtime where line.hasPrefix("ENV ") {
            for pair in line.dropFirst("ENV ".count).split(separator: " ") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                #expect(parts.count == 2, "write ENV as KEY=value: \(line)")
                if parts.count == 2 { environment[String(parts[0])] = String(parts[1]) }
            }
        }
        return environment
    }

    /// What a worker container sees: the image's environment, overridden by the service's.
    static func containerEnvironment(of service: Node) throws -> [String: String] {
        try Self.imageEnvironment().merging(try Self.environment(of: service)) { _, service in service }
    }

    /// A Compose duration (`35s`, `1m30s`, `500ms`).
    static func duration(_ text: String) -> Duration? {
        var total = Duration.zero
        var rest = Substring(text)
        while !rest.isEmpty {
            guard let match = rest.prefixMatch(of: /(\d+)(ms|h|m|s)/), let amount = Int64(match.1) else { return nil }
            switch match.2 {
            case "ms": total += .milliseconds(amount)
            case "s": total += .seconds(amount)
            case "m": total += .seconds(amount * 60)
            default: total += .seconds(amount * 3600)
            }
            rest = rest[match.range.upperBound...]
        }
        return text.isEmpty ? nil : total
    }

    @Test(
        "Kafka, topics, PostgreSQL, the sandbox from the lab image and one worker service of three replicas; each image built once"
    )
    func services() throws {
        let names = Set(try Self.services().map(\.key))
        #expect(names.isSuperset(of: ["kafka", "topics", "postgres", "sandbox"]))
        let workers = try Self.workers()
        #expect(workers.map(\.key) == ["worker"], "one service, scaled with --scale worker=N")
        let services = try Self.compose()["services"]!
        #expect(services["kafka"]?["image"]?.string?.hasPrefix("apache/kafka:") == true)
        #expect(services["postgres"]?["image"]?.string == "postgres:16")
        #expect(services["postgres"]?["healthcheck"]?["test"] != nil)
        #expect(services["sandbox"]?["command"]?.strings == ["sandbox", "--host", "0.0.0.0", "--port", "8080"])
        // Two images, each built by one service: the product (the Dockerfile's default target) by
        // the workers, the lab (target `lab`, payout-lab) by the sandbox.
        let builders = try Self.services().filter { $0.value["build"] != nil }
        #expect(builders.map(\.key) == ["sandbox", "worker"], "the sandbox and the worker services build")
        #expect(services["worker"]?["image"]?.string == "payout-worker:local")
        #expect(services["sandbox"]?["image"]?.string == "payout-lab:local")
        #expect(services["sandbox"]?["build"]?["context"]?.string == ".")
        #expect(services["sandbox"]?["build"]?["target"]?.string == "lab", "the sandbox is a lab command")
        for worker in workers {
            #expect(worker.value["build"]?.string == ".", "\(worker.key) is built from the Dockerfile")
            #expect(worker.value["deploy"]?["replicas"]?.string == "3")
            #expect(worker.value["init"]?.string == "true", "\(worker.key): an init process as PID 1")
            let dependencies = worker.value["depends_on"]
            #expect(dependencies?["postgres"]?["condition"]?.string == "service_healthy")
            #expect(dependencies?["sandbox"]?["condition"]?.string == "service_healthy")
            #expect(dependencies?["topics"]?["condition"]?.string == "service_completed_successfully")
        }
    }

    @Test("every worker variable is one the loader reads, and the loader accepts the container's environment")
    func workerEnvironmentLoads() throws {
        for worker in try Self.workers() {
            let environment = try Self.containerEnvironment(of: worker.value)
            for name in environment.keys
            where name.hasPrefix("PAYOUT_") || name.hasPrefix("DOLLR_") || name.hasPrefix("MERCHANT_") {
                #expect(WorkerConfigurationLoader.reads(environmentKey: name), "\(worker.key): \(name) is not read")
            }
            let configuration = try WorkerConfigurationLoader.load(file: nil, environment: environment)
            #expect(configuration.kafka.brokers == "kafka:19092")
            #expect(configuration.storeURL.hasPrefix("postgres://"), "replicas share PostgreSQL")
            #expect(configuration.storeURL.contains("@postgres:5432/payouts"))
            #expect(configuration.dollr.baseURL.absoluteString == "http://sandbox:8080")
            #expect(configuration.kafka.groupID == WorkerConfiguration().kafka.groupID)
            // Replicas of one scaled service share their environment, so nothing in it may be per
            // replica. Dynamic membership also makes a stopped replica leave the group at once: a
            // static member (group.instance.id) keeps its partitions until session.timeout.ms.
            #expect(configuration.workerID == nil, "\(worker.key): the worker id defaults to host name + pid")
            #expect(configuration.kafka.groupInstanceID == nil, "\(worker.key): no static membership in compose")
        }
    }

    @Test("the image's admin server listens on every interface; the binary's default stays loopback")
    func adminHost() throws {
        #expect(try Self.imageEnvironment()["PAYOUT_ADMIN_HOST"] == "0.0.0.0")
        #expect(WorkerConfiguration().admin.host == "127.0.0.1")
        for worker in try Self.workers() {
            let configuration = try WorkerConfigurationLoader.load(
                file: nil,
                environment: try Self.containerEnvironment(of: worker.value)
            )
            #expect(
                configuration.admin.host == "0.0.0.0",
                "\(worker.key): a published port must reach the admin server"
            )
        }
    }

    @Test("a worker's stop grace period outlasts its drain, so a stop never SIGKILLs a draining worker")
    func stopGracePeriod() throws {
        for worker in try Self.workers() {
            let text = try #require(
                worker.value["stop_grace_period"]?.string,
                "\(worker.key): Docker's default is 10 s"
            )
            let grace = try #require(Self.duration(text), "\(worker.key): stop_grace_period \(text)")
            let configuration = try WorkerConfigurationLoader.load(
                file: nil,
                environment: try Self.containerEnvironment(of: worker.value)
            )
            // `run` exits 70 by itself once the drain overruns shutdown_timeout_ms by 10 s.
            #expect(grace > configuration.shutdownTimeout + .seconds(10), "\(worker.key): \(text)")
        }
        #expect(Self.duration("1m30s") == .seconds(90))
        #expect(Self.duration("35s") == .seconds(35))
        #expect(Self.duration("35") == nil)
    }

    @Test("the sandbox's merchant is the workers' merchant")
    func sameMerchant() throws {
        let services = try Self.compose()["services"]!
        let sandbox = try Self.environment(of: try #require(services["sandbox"]))
        let names = ["DOLLR_CLIENT_ID", "DOLLR_CLIENT_SECRET", "MERCHANT_PASSCODE", "MERCHANT_PASSCODE_PHONE"]
        for worker in try Self.workers() {
            let environment = try Self.environment(of: worker.value)
            for name in names {
                #expect(environment[name] == sandbox[name], "\(worker.key): \(name) differs from the sandbox's")
            }
        }
    }

    @Test(
        "published host ports do not collide; workers publish their admin port on no fixed host port and check /readyz there"
    )
    func ports() throws {
        var hostPorts: [String: String] = [:]
        for service in try Self.services() {
            for mapping in service.value["ports"]?.strings ?? [] {
                let parts = mapping.split(separator: ":")
                #expect(
                    parts.count == 1 || parts.count == 2,
                    "\(service.key): write ports as \"HOST:CONTAINER\" or \"CONTAINER\""
                )
                guard parts.count == 2 else { continue }  // an ephemeral host port: no collision possible
                let host = String(parts[0])
                if let other = hostPorts[host] {
                    Issue.record("host port \(host) published by both \(other) and \(service.key)")
                }
                hostPorts[host] = service.key
            }
        }
        for worker in try Self.workers() {
            let configuration = try WorkerConfigurationLoader.load(
                file: nil,
                environment: try Self.containerEnvironment(of: worker.value)
            )
            // A fixed host port would make a second replica fail to start.
            let ports = worker.value["ports"]?.strings ?? []
            #expect(ports == ["\(configuration.admin.port)"], "\(worker.key): \(ports)")
            let check = worker.value["healthcheck"]?["test"]?.strings ?? []
            #expect(check.contains("http://localhost:\(configuration.admin.port)/readyz"), "\(worker.key): \(check)")
        }
    }

    @Test("the topics service creates exactly the default topics of WorkerConfiguration, and fails if one fails")
    func topics() throws {
        let services = try Self.compose()["services"]!
        let script = try #require(services["topics"]?["command"]?.strings?.first)
        let lines = script.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let loop = try #require(lines.first { $0.hasPrefix("for topic in ") })
        let created = loop.dropFirst("for topic in ".count).prefix(while: { $0 != ";" }).split(separator: " ").map(
            String.init
        )
        let kafka = WorkerConfiguration().kafka
        #expect(Set(created) == [kafka.commandsTopic, kafka.statusTopic, kafka.deadLetterTopic])
        #expect(script.contains("--bootstrap-server kafka:19092"))
        // A loop's status is its last command's: without `set -e`, a failed creation would go unnoticed.
        #expect(lines.first == "set -e", "the script starts with set -e")
        #expect(script.contains("--create --if-not-exists"), "a rerun finds the topics and succeeds")
    }

    @Test(
        "the Dockerfile's default image ships payout-worker alone; its lab target payout-lab; both the C libraries they link"
    )
    func dockerfile() throws {
        let dockerfile = try Repository.text("Dockerfile")
        let lines = dockerfile.split(separator: "\n")
        let stages = lines.filter { $0.hasPrefix("FROM ") }
        // `FROM base [AS name]`: a build stage per binary, a runtime both images share, the lab,
        // then the product, last, as the default target.
        let names = stages.map { $0.split(separator: " ").count == 4 ? String($0.split(separator: " ")[3]) : "" }
        let bases = stages.map { String($0.split(separator: " ")[1]) }
        #expect(names == ["build", "build-lab", "runtime", "lab", ""], "\(stages)")
        #expect(bases.dropFirst() == ["build", "debian:bookworm-slim", "runtime", "runtime"], "\(stages)")
        // The default target is the last stage: what it copies in is the product alone.
        let product = lines[(lines.lastIndex { $0.hasPrefix("FROM ") } ?? lines.startIndex)...]
        #expect(
            product.filter { $0.hasPrefix("COPY --from=") } == [
                "COPY --from=build /staging/payout-worker /usr/local/bin/payout-worker"
            ]
        )
        #expect(!product.contains { $0.contains("payout-lab") || $0.contains("build-lab") }, "\(product)")
        #expect(product.contains(#"ENTRYPOINT ["payout-worker"]"#))
        let lab = try #require(lines.firstIndex(of: "FROM runtime AS lab")).advanced(by: 1)
        let labStage = lines[lab..<(lines[lab...].firstIndex { $0.hasPrefix("FROM ") } ?? lines.endIndex)]
        #expect(labStage.contains(#"ENTRYPOINT ["payout-lab"]"#), "\(labStage)")
        #expect(labStage.contains { $0.hasPrefix("COPY --from=build-lab ") && $0.contains("/staging/payout-lab") })
        // Several dependencies' minimum versions declare swift-tools-version 6.2; an older SwiftPM cannot resolve them.
        let builder = try #require(stages.first)
        let version = try #require(builder.firstMatch(of: /^FROM swift:(\d+)\.(\d+)/), "\(builder)")
        #expect((Int(version.1)!, Int(version.2)!) >= (6, 2), "\(builder)")
        for package in ["librdkafka-dev", "libsqlite3-dev", "pkg-config", "librdkafka1", "libsqlite3-0", "curl"] {
            #expect(dockerfile.contains(" \(package)"), "Dockerfile lacks \(package)")
        }
        #expect(dockerfile.contains("swift build -c release --product payout-worker"))
        #expect(dockerfile.contains("swift build -c release --product payout-lab"))
    }
}

extension Node {
    /// A sequence of scalars as strings; nil for anything else.
    var strings: [String]? {
        guard let items = sequence else { return nil }
        let strings = items.compactMap(\.scalar?.string)
        return strings.count == items.count ? strings : nil
    }
}
