import PayoutWorker
import Testing

/// A configuration that must be refused: the error must name `key` and say `fragment`.
struct ConfigurationErrorCase: Sendable, CustomTestStringConvertible {
    var file: String?
    var environment: [String: String] = [:]
    var key: String
    var fragment: String

    var testDescription: String { "\(self.key): \(self.fragment)" }

    static func file(_ json: String, _ key: String, _ fragment: String) -> Self {
        Self(file: json, key: key, fragment: fragment)
    }

    static func environment(_ name: String, _ value: String, _ fragment: String) -> Self {
        Self(file: nil, environment: [name: value], key: name, fragment: fragment)
    }
}

@Suite("WorkerConfigurationLoader: refusals")
struct LoaderErrorTests {
    // Distinctive valid credentials, present in every case, that no error may ever repeat.
    static let secretValue = "TOPSECRET-client-7f3a"
    static let passcodeValue = "PASSCODE-99817"
    static let phoneValue = "231779990001"

    static let cases: [ConfigurationErrorCase] = [
        // Types and ranges.
        .file(#"{"engine":{"poll_budget_ms":-5}}"#, "engine.poll_budget_ms", "must be at least 1, got -5"),
        .file(#"{"engine":{"poll_budget_ms":"30"}}"#, "engine.poll_budget_ms", "expected an integer, got string"),
        .file(#"{"engine":{"lease_ms":1.5}}"#, "engine.lease_ms", "expected an integer"),
        .file(#"{"engine":{"poll_growth_percent":50}}"#, "engine.poll_growth_percent", "from 100 to 1000"),
        .file(
            #"{"engine":{"fallback_fee_basis_points":10001}}"#,
            "engine.fallback_fee_basis_points",
            "from 0 to 10000"
        ),
        .file(#"{"engine":{"maximum_execute_attempts":0}}"#, "engine.maximum_execute_attempts", "at least 1"),
        .file(
            #"{"engine":{"not_found_grace_ms":50000},"dollr":{"request_timeout_ms":30000}}"#,
            "engine.not_found_grace_ms",
            "twice"
        ),
        .file(
            #"{"engine":{"wallet_without_balance":"allow"}}"#,
            "engine.wallet_without_balance",
            "fail or execute_unchecked"
        ),
        .file(#"{"engine":5}"#, "engine", "expected an object, got number"),
        .file(#"{"admin":{"port":70000}}"#, "admin.port", "from 0 to 65535"),
        .file(#"{"admin":{"host":""}}"#, "admin.host", "must not be empty"),
        .file(#"{"intake_batch_size":0}"#, "intake_batch_size", "at least 1"),
        .file(#"{"relay_batch_size":null}"#, "relay_batch_size", "expected an integer, got null"),
        .file(#"{"shutdown_timeout_ms":0}"#, "shutdown_timeout_ms", "at least 1"),
        .file(#"{"json_logs":"yes"}"#, "json_logs", "expected a boolean, got string"),
        .file(#"{"log_level":"verbose"}"#, "log_level", "trace, debug, info"),
        .file(#"{"event_source":""}"#, "event_source", "must not be empty"),
        .file(#"{"worker_id":7}"#, "worker_id", "expected a string or null"),
        .file(#"{"dollr":{"max_concurrent_requests":0}}"#, "dollr.max_concurrent_requests", "at least 1"),
        .file(#"{"dollr":{"connect_timeout_ms":-1}}"#, "dollr.connect_timeout_ms", "at least 1"),
        // URLs, phones, currencies, amounts.
        .file(#"{"dollr":{"base_url":"ftp://dollr.example"}}"#, "dollr.base_url", "http:// or https://"),
        .file(#"{"dollr":{"base_url":"not a url"}}"#, "dollr.base_url", "http:// or https://"),
        .file(#"{"dollr":{"passcode_phone":"0770001234"}}"#, "dollr.passcode_phone", "8 to 15 digits"),
        .file(#"{"dollr":{"client_secret":""}}"#, "dollr.client_secret", "must not be empty"),
        .file(#"{"dollr":{"client_secret":42}}"#, "dollr.client_secret", "expected a string, got number"),
        .file(#"{"dollr":{"passcode":""}}"#, "dollr.passcode", "must not be empty"),
        .file(#"{"dollr":{"client_id":""}}"#, "dollr.client_id", "must not be empty"),
        .file(#"{"store_url":"mysql://root:hunter2@db/payouts"}"#, "store_url", "scheme must be sqlite or postgres"),
        .file(#"{"store_url":"sqlite://relative.db"}"#, "store_url", "three slashes"),
        .file(
            #"{"store_url":"postgres://user:hunter2@/payouts"}"#,
            "store_url",
            "postgres://user:password@host:port/database"
        ),
        .file(#"{"commands":{"allowed_currencies":["USD","usd"]}}"#, "commands.allowed_currencies.1", "ISO 4217"),
        .file(#"{"commands":{"allowed_currencies":[]}}"#, "commands.allowed_currencies", "at least one currency"),
        .file(#"{"commands":{"allowed_currencies":"USD"}}"#, "commands.allowed_currencies", "expected an array"),
        .file(
            #"{"commands":{"maximum_amounts":{"USD":"1.005"}}}"#,
            "commands.maximum_amounts.USD",
            "at most 2 fraction digits"
        ),
        .file(#"{"commands":{"maximum_amounts":{"USD":"0.00"}}}"#, "commands.maximum_amounts.USD", "greater than 0"),
        .file(#"{"commands":{"maximum_amounts":{"USD":"1e5"}}}"#, "commands.maximum_amounts.USD", "plain decimal"),
        .file(
            #"{"commands":{"maximum_amounts":{"EUR":"10.00"}}}"#,
            "commands.maximum_amounts.EUR",
            "not in commands.allowed_currencies"
        ),
        .file(#"{"commands":{"maximum_record_bytes":0}}"#, "commands.maximum_record_bytes", "from 1 to"),
        .file(#"{"engine":{"lease_ms":1000,"lease_ms":90000}}"#, "", #""lease_ms" is given twice"#),
        .file(#"{"commands":{"allowed_currencies":["USD","KES"]}}"#, "engine.fallback_fee_minimums.KES", "is missing"),
        .file(
            #"{"engine":{"fallback_fee_minimums":{"USD":"1.00"}}}"#,
            "engine.fallback_fee_minimums.LRD",
            "is missing"
        ),
        .file(
            #"{"engine":{"fallback_fee_minimums":{"USD":"-1"}}}"#,
            "engine.fallback_fee_minimums.USD",
            "must not be negative"
        ),
        .file(
            #"{"engine":{"fallback_fee_minimums":{"USD":"1","LRD":"1","EUR":"1"}}}"#,
            "engine.fallback_fee_minimums.EUR",
            "not in commands.allowed_currencies"
        ),
        // Kafka.
        .file(#"{"kafka":{"brokers":"a:9092,,b:9092"}}"#, "kafka.brokers", "entry 2"),
        .file(#"{"kafka":{"brokers":"a:99999"}}"#, "kafka.brokers", "port from 1 to 65535"),
        .file(#"{"kafka":{"group_id":""}}"#, "kafka.group_id", "must not be empty"),
        .file(#"{"kafka":{"group_instance_id":""}}"#, "kafka.group_instance_id", "must not be empty"),
        .file(#"{"kafka":{"commands_topic":"payout commands"}}"#, "kafka.commands_topic", "Kafka topic name"),
        .file(
            #"{"kafka":{"status_topic":"payouts.commands"}}"#,
            "kafka.status_topic",
            "must differ from kafka.commands_topic"
        ),
        .file(#"{"kafka":{"properties":{"linger.ms":[1]}}}"#, "kafka.properties.linger.ms", "got array"),
        .file(#"{"kafka":{"producer_properties":"acks=all"}}"#, "kafka.producer_properties", "expected an object"),
        // Relations between settings.
        .file(
            #"{"engine":{"poll_initial_delay_ms":40000}}"#,
            "engine.poll_initial_delay_ms",
            "must not exceed engine.poll_maximum_delay_ms"
        ),
        .file(#"{"engine":{"poll_budget_ms":1000}}"#, "engine.poll_budget_ms", "at least engine.poll_initial_delay_ms"),
        .file(
            #"{"engine":{"retry_base_delay_ms":70000}}"#,
            "engine.retry_base_delay_ms",
            "must not exceed engine.retry_maximum_delay_ms"
        ),
        .file(#"{"engine":{"lease_ms":30000}}"#, "engine.lease_ms", "longer than dollr.request_timeout_ms"),
        // Unknown keys.
        .file(#"{"bogus":1}"#, "bogus", "unknown key; known keys at the top level: admin, commands, dollr"),
        .file(#"{"kafka":{"broker":"x:1"}}"#, "kafka.broker", "unknown key; known keys in kafka: brokers"),
        .file(#"{"engine":{"lease":1}}"#, "engine.lease", "unknown key"),
        // The environment.
        .environment("PAYOUT_ADMIN_PORT", "abc", "expected an integer"),
        .environment("PAYOUT_ADMIN_PORT", "65536", "from 0 to 65535"),
        .environment("PAYOUT_MAX_IN_FLIGHT", "0", "at least 1"),
        .environment("PAYOUT_JSON_LOGS", "maybe", "expected true or false"),
        .environment("PAYOUT_LOG_LEVEL", "loud", "one of trace"),
        .environment("PAYOUT_STORE_URL", "mysql://root:hunter2@db/payouts", "scheme must be sqlite or postgres"),
        .environment("PAYOUT_KAFKA_BROKERS", "a:1, b:2", "entry 2"),
        .environment("PAYOUT_KAFKA_STATUS_TOPIC", "a/b", "Kafka topic name"),
        .environment("PAYOUT_ADMIN_HOST", " ", "must not be empty"),
        .environment("DOLLR_BASE_URL", "sandbox:8080", "http:// or https://"),
        .environment("MERCHANT_PASSCODE_PHONE", "0770001234", "8 to 15 digits"),
        .environment("PAYOUT_QUEUE", "x", "is not a setting payout-worker reads"),
        .environment("PAYOUT_KAFKA_PROPERTY_", "x", "needs a property name"),
        .environment("PAYOUT_KAFKA_PROPERTY__FILE", "/run/secrets/x", "needs a property name"),
        .environment("PAYOUT_SHUTDOWN_TIMEOUT_MS", "0", "at least 1"),
    ]

    @Test(
        "each refusal names its key and what is wrong, and never repeats a secret, phone or password",
        arguments: cases
    )
    func refusal(_ testCase: ConfigurationErrorCase) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = try testCase.file.map { try scratch.write("worker.json", $0) }
        let credentials = [
            "DOLLR_CLIENT_SECRET": Self.secretValue, "MERCHANT_PASSCODE": Self.passcodeValue,
            "MERCHANT_PASSCODE_PHONE": Self.phoneValue,
        ]
        let environment = credentials.merging(testCase.environment) { _, new in new }
        let error = try #require(throws: ConfigurationError.self) {
            try WorkerConfigurationLoader.load(file: file, environment: environment)
        }
        #expect(error.key == testCase.key, "\(error)")
        #expect(testCase.key.isEmpty || error.description.contains(testCase.key), "\(error)")
        #expect(error.description.contains(testCase.fragment), "\(error)")
        for value in [Self.secretValue, Self.passcodeValue, Self.phoneValue, "0770001234", "hunter2"] {
            #expect(!error.description.contains(value), "\(error) repeats a value it must not")
        }
        if case .file(let path) = error.origin {
            #expect(path == file)
        }
    }

    @Test("a file that is missing, not JSON or not an object is refused, naming the file")
    func badFiles() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let missing = scratch.path("absent.json")
        let notJSON = try scratch.write("broken.json", #"{"engine": {"lease_ms": 60000,}}"#)
        let notObject = try scratch.write("array.json", "[1, 2]")
        for (path, fragment) in [
            (missing, "cannot be read"), (notJSON, "invalid JSON at byte"), (notObject, "must be a JSON object"),
        ] {
            let error = try #require(throws: ConfigurationError.self) {
                try WorkerConfigurationLoader.load(file: path, environment: [:])
            }
            #expect(error.origin == .file(path))
            #expect(error.description.contains(path) && error.description.contains(fragment), "\(error)")
        }
    }

    @Test("a secret with the wrong type in the file is named but never shown")
    func secretNotShown() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = try scratch.write(
            "worker.json",
            """
            {"dollr": {"client_secret": "\(Self.secretValue)", "passcode": "\(Self.passcodeValue)",
                       "passcode_phone": "\(Self.phoneValue)"}, "admin": {"port": -1}}
            """
        )
        let error = try #require(throws: ConfigurationError.self) {
            try WorkerConfigurationLoader.load(file: file, environment: [:])
        }
        #expect(error.key == "admin.port")
        for value in [Self.secretValue, Self.passcodeValue, Self.phoneValue] {
            #expect(!error.description.contains(value))
        }
        // Nor does the configuration itself print them.
        let configuration = try WorkerConfigurationLoader.load(
            file: try scratch.write("ok.json", #"{"dollr": {"client_secret": "\#(Self.secretValue)"}}"#),
            environment: ["MERCHANT_PASSCODE_PHONE": Self.phoneValue]
        )
        let dumped = "\(configuration)"
        #expect(!dumped.contains(Self.secretValue) && !dumped.contains(Self.phoneValue))
    }
}
