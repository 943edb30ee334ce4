import PayoutWorker
import Testing

/// docker-compose.yml, read as data: no Docker engine runs here, so these checks are what stands
/// between a typo in the file and a replica that does not start.
@Suite("docker-compose.yml")
struct ComposeFileTests {
    static func compose() throws -> YAMLNode {
        try YAMLSubsetReader.parse(try Repository.text("docker-compose.yml"))
    }

    static func services() throws -> [YAMLNode.Entry] {
        try Self.compose()["services"]?.entries ?? []
    }

    /// Services that run `payout-worker run`.
    static func workers() throws -> [YAMLNode.Entry] {
        try Self.services().filter { $0.value["command"]?.strings == ["run"] }
    }

    /// A service's environment mapping (this file writes it as a mapping, not a KEY=value list).
    static func environment(of service: YAMLNode) throws -> [String: String] {
        let node = try #require(service["environment"], "service without environment")
        var environment: [String: String] = [:]
        for entry in node.entries {
            guard case .scalar(let value, let plain) = entry.value else {
                Issue.record("environment \(entry.key) is not a scalar")
                continue
            }
            // Compose reads YAML 1.1: plain true/yes/on become booleans, which it refuses here.
            let booleanLike = ["true", "false", "yes", "no", "on", "off", "y", "n"]
            #expect(!(plain && booleanLike.contains(value.lowercased())), "quote the value of \(entry.key)")
            environment[entry.key] = value
        }
        return environment
    }

    @Test("Kafka, topics, PostgreSQL, the sandbox and three workers")
    func services() throws {
        let names = Set(try Self.services().map(\.key))
        #expect(names.isSuperset(of: ["kafka", "topics", "postgres", "sandbox"]))
        let workers = try Self.workers()
        #expect(workers.map(\.key) == ["worker-1", "worker-2", "worker-3"])
        let services = try Self.compose()["services"]!
        #expect(services["kafka"]?["image"]?.string?.hasPrefix("apache/kafka:") == true)
        #expect(services["postgres"]?["image"]?.string == "postgres:16")
        #expect(services["postgres"]?["healthcheck"]?["test"] != nil)
        #expect(services["sandbox"]?["command"]?.strings == ["sandbox", "--host", "0.0.0.0", "--port", "8080"])
        for worker in workers {
            #expect(worker.value["build"]?.string == ".", "\(worker.key) is built from the Dockerfile")
            let dependencies = worker.value["depends_on"]
            #expect(dependencies?["postgres"]?["condition"]?.string == "service_healthy")
            #expect(dependencies?["sandbox"]?["condition"]?.string == "service_healthy")
            #expect(dependencies?["topics"]?["condition"]?.string == "service_completed_successfully")
        }
    }

    @Test("every worker variable is one the loader reads, and the loader accepts each worker's environment")
    func workerEnvironmentLoads() throws {
        var workerIDs: Set<String> = []
        var instanceIDs: Set<String> = []
        for worker in try Self.workers() {
            let environment = try Self.environment(of: worker.value)
            for name in environment.keys
            where name.hasPrefix("PAYOUT_") || name.hasPrefix("DOLLR_") || name.hasPrefix("MERCHANT_") {
                #expect(WorkerConfigurationLoader.reads(environmentKey: name), "\(worker.key): \(name) is not read")
            }
            let configuration = try WorkerConfigurationLoader.load(file: nil, environment: environment)
            #expect(configuration.kafka.brokers == "kafka:19092")
            #expect(configuration.storeURL.hasPrefix("postgres://"), "replicas share PostgreSQL")
            #expect(configuration.storeURL.contains("@postgres:5432/payouts"))
            #expect(configuration.dollr.baseURL.absoluteString == "http://sandbox:8080")
            #expect(configuration.admin.host == "0.0.0.0")
            workerIDs.insert(try #require(configuration.workerID, "\(worker.key) has PAYOUT_WORKER_ID"))
            instanceIDs.insert(try #require(configuration.kafka.groupInstanceID))
            #expect(configuration.kafka.groupID == WorkerConfiguration().kafka.groupID)
        }
        #expect(workerIDs.count == 3, "each replica has its own worker id")
        #expect(instanceIDs.count == 3, "each replica has its own group.instance.id")
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

    @Test("published host ports do not collide; each worker publishes its admin port and checks /readyz there")
    func ports() throws {
        var hostPorts: [String: String] = [:]
        for service in try Self.services() {
            for mapping in service.value["ports"]?.strings ?? [] {
                let parts = mapping.split(separator: ":")
                #expect(parts.count == 2, "\(service.key): write ports as \"HOST:CONTAINER\"")
                let host = String(parts[0])
                if let other = hostPorts[host] {
                    Issue.record("host port \(host) published by both \(other) and \(service.key)")
                }
                hostPorts[host] = service.key
            }
        }
        for worker in try Self.workers() {
            let configuration = try WorkerConfigurationLoader.load(file: nil, environment: try Self.environment(of: worker.value))
            let ports = worker.value["ports"]?.strings ?? []
            #expect(ports.count == 1 && ports[0].hasSuffix(":\(configuration.admin.port)"), "\(worker.key): \(ports)")
            let check = worker.value["healthcheck"]?["test"]?.strings ?? []
            #expect(check.contains("http://localhost:\(configuration.admin.port)/readyz"), "\(worker.key): \(check)")
        }
    }

    @Test("the topics service creates exactly the default topics of WorkerConfiguration")
    func topics() throws {
        let services = try Self.compose()["services"]!
        let script = try #require(services["topics"]?["command"]?.strings?.first)
        let loop = try #require(script.split(separator: "\n").first { $0.hasPrefix("for topic in ") })
        let created = loop.dropFirst("for topic in ".count).prefix(while: { $0 != ";" }).split(separator: " ").map(String.init)
        let kafka = WorkerConfiguration().kafka
        #expect(Set(created) == [kafka.commandsTopic, kafka.statusTopic, kafka.deadLetterTopic])
        #expect(script.contains("--bootstrap-server kafka:19092"))
    }

    @Test("the Dockerfile builds the payout-worker product and ships the C libraries it links")
    func dockerfile() throws {
        let dockerfile = try Repository.text("Dockerfile")
        let stages = dockerfile.split(separator: "\n").filter { $0.hasPrefix("FROM ") }
        #expect(stages.count == 2, "a build stage and a runtime stage")
        // Several dependencies' minimum versions declare swift-tools-version 6.2; an older SwiftPM cannot resolve them.
        let builder = try #require(stages.first)
        let version = try #require(builder.firstMatch(of: /^FROM swift:(\d+)\.(\d+)/), "\(builder)")
        #expect((Int(version.1)!, Int(version.2)!) >= (6, 2), "\(builder)")
        for package in ["librdkafka-dev", "libsqlite3-dev", "pkg-config", "librdkafka1", "libsqlite3-0", "curl"] {
            #expect(dockerfile.contains(" \(package)"), "Dockerfile lacks \(package)")
        }
        #expect(dockerfile.contains("swift build -c release --product payout-worker"))
        #expect(dockerfile.contains(#"ENTRYPOINT ["payout-worker"]"#))
    }
}
