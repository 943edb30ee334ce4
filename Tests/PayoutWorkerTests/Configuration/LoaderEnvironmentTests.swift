import DollrClient
import Foundation
import PayoutWorker
import Testing

@Suite("WorkerConfigurationLoader: the environment")
struct LoaderEnvironmentTests {
    @Test("every environment variable wins over the file")
    func environmentWins() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = try scratch.write("worker.json", LoaderFileTests.everyKey)
        let configuration = try WorkerConfigurationLoader.load(
            file: file,
            environment: [
                "PAYOUT_KAFKA_BROKERS": "kafka:19092",
                "PAYOUT_KAFKA_GROUP_ID": "group-env",
                "PAYOUT_KAFKA_GROUP_INSTANCE_ID": "worker-2",
                "PAYOUT_KAFKA_COMMANDS_TOPIC": "env.commands",
                "PAYOUT_KAFKA_STATUS_TOPIC": "env.status",
                "PAYOUT_KAFKA_DEAD_LETTER_TOPIC": "env.dlq",
                "PAYOUT_STORE_URL": "sqlite:///tmp/env.db",
                "DOLLR_BASE_URL": "http://sandbox:8080",
                "DOLLR_CLIENT_ID": "env-client",
                "DOLLR_CLIENT_SECRET": "env-secret",
                "MERCHANT_PASSCODE": "000111",
                "MERCHANT_PASSCODE_PHONE": "231770000042",
                "PAYOUT_ADMIN_PORT": "9191",
                "PAYOUT_ADMIN_HOST": "10.0.0.5",
                "PAYOUT_WORKER_ID": "env-worker",
                "PAYOUT_LOG_LEVEL": "warning",
                "PAYOUT_JSON_LOGS": "false",
                "PAYOUT_MAX_IN_FLIGHT": "12",
                "PAYOUT_SHUTDOWN_TIMEOUT_MS": "12000",
            ]
        )
        #expect(configuration.kafka.brokers == "kafka:19092")
        #expect(configuration.kafka.groupID == "group-env")
        #expect(configuration.kafka.groupInstanceID == "worker-2")
        #expect(configuration.kafka.commandsTopic == "env.commands")
        #expect(configuration.kafka.statusTopic == "env.status")
        #expect(configuration.kafka.deadLetterTopic == "env.dlq")
        #expect(configuration.storeURL == "sqlite:///tmp/env.db")
        #expect(configuration.dollr.baseURL == URL(string: "http://sandbox:8080")!)
        #expect(configuration.dollr.credentials.clientID == "env-client")
        #expect(configuration.dollr.credentials.clientSecret.revealed == "env-secret")
        #expect(configuration.dollr.credentials.passcode.revealed == "000111")
        #expect(configuration.dollr.credentials.passcodePhone.revealed == "231770000042")
        #expect(configuration.admin.port == 9191)
        #expect(configuration.admin.host == "10.0.0.5")
        #expect(configuration.workerID == "env-worker")
        #expect(configuration.logLevel == "warning")
        #expect(configuration.jsonLogs == false)
        #expect(configuration.engine.maximumInFlight == 12)
        #expect(configuration.shutdownTimeout == .milliseconds(12_000))
        // What the environment does not name keeps the file's value.
        #expect(configuration.engine.leaseMilliseconds == 45_000)
    }

    @Test("empty variables count as unset; variables of other programs are ignored")
    func emptyAndForeign() throws {
        let configuration = try WorkerConfigurationLoader.load(
            file: nil,
            environment: [
                "PAYOUT_KAFKA_BROKERS": "", "PAYOUT_WORKER_ID": "", "HOME": "/root", "DOLLR_SOMETHING_ELSE": "x",
                "KAFKA_NODE_ID": "1",
            ]
        )
        #expect(differences(configuration, WorkerConfiguration()) == [])
    }

    @Test("an unknown PAYOUT_ variable is refused, naming it")
    func unknownPayoutVariable() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try WorkerConfigurationLoader.load(file: nil, environment: ["PAYOUT_MAX_INFLIGHT": "3"])
        }
        #expect(error.key == "PAYOUT_MAX_INFLIGHT")
        #expect(error.description.contains("PAYOUT_MAX_IN_FLIGHT"), "lists the known variables: \(error)")
    }

    @Test("PAYOUT_KAFKA_PROPERTY_<NAME> passes librdkafka properties through, winning over every file map")
    func propertyPassThrough() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = try scratch.write(
            "worker.json",
            """
            {"kafka": {"properties": {"security.protocol": "plaintext", "client.id": "file"},
                       "consumer_properties": {"security.protocol": "ssl"}}}
            """
        )
        let configuration = try WorkerConfigurationLoader.load(
            file: file,
            environment: [
                "PAYOUT_KAFKA_PROPERTY_SECURITY_PROTOCOL": "sasl_ssl",
                "PAYOUT_KAFKA_PROPERTY_SASL_MECHANISMS": "SCRAM-SHA-512",
                "PAYOUT_KAFKA_PROPERTY_SSL_CA_LOCATION": "/etc/ssl/ca.pem",
            ]
        )
        #expect(
            configuration.kafka.properties == [
                "security.protocol": "sasl_ssl", "sasl.mechanisms": "SCRAM-SHA-512",
                "ssl.ca.location": "/etc/ssl/ca.pem",
                "client.id": "file",
            ]
        )
        #expect(configuration.kafka.consumerProperties == [:])
        #expect(WorkerConfigurationLoader.reads(environmentKey: "PAYOUT_KAFKA_PROPERTY_SASL_USERNAME"))
        #expect(!WorkerConfigurationLoader.reads(environmentKey: "PAYOUT_KAFKA_PROPERTY_"))
    }

    @Test("secrets from *_FILE variables, trailing newline trimmed")
    func secretFiles() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let secretFile = try scratch.write("client-secret", "from-a-file\n")
        let passcodeFile = try scratch.write("passcode", "424242\r\n")
        let storeFile = try scratch.write("store-url", "postgres://payouts:pg-file-pass@db:5432/payouts\n")
        let saslFile = try scratch.write("sasl-password", "sasl-file-pass\n")
        let configuration = try WorkerConfigurationLoader.load(
            file: nil,
            environment: [
                "DOLLR_CLIENT_SECRET_FILE": secretFile, "MERCHANT_PASSCODE_FILE": passcodeFile,
                "PAYOUT_STORE_URL_FILE": storeFile, "PAYOUT_KAFKA_PROPERTY_SASL_PASSWORD_FILE": saslFile,
                "PAYOUT_KAFKA_PROPERTY_SASL_USERNAME": "payouts",
            ]
        )
        #expect(configuration.dollr.credentials.clientSecret.revealed == "from-a-file")
        #expect(configuration.dollr.credentials.passcode.revealed == "424242")
        #expect(configuration.storeURL == "postgres://payouts:pg-file-pass@db:5432/payouts")
        #expect(configuration.kafka.properties == ["sasl.password": "sasl-file-pass", "sasl.username": "payouts"])
        #expect(WorkerConfigurationLoader.reads(environmentKey: "PAYOUT_KAFKA_PROPERTY_SASL_PASSWORD_FILE"))
    }

    @Test(
        "a secret set both directly and by file is refused, naming both variables",
        arguments: [
            ("DOLLR_CLIENT_SECRET", "DOLLR_CLIENT_SECRET_FILE"), ("MERCHANT_PASSCODE", "MERCHANT_PASSCODE_FILE"),
            ("PAYOUT_STORE_URL", "PAYOUT_STORE_URL_FILE"), ("PAYOUT_ADMIN_TOKEN", "PAYOUT_ADMIN_TOKEN_FILE"),
            ("PAYOUT_KAFKA_PROPERTY_SASL_PASSWORD", "PAYOUT_KAFKA_PROPERTY_SASL_PASSWORD_FILE"),
        ]
    )
    func secretSetTwice(variable: String, fileVariable: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        // Valid for every variable here, the store URL included, so only the pair can be the error.
        let file = try scratch.write("secret", "postgres://u:file-secret-999@db/payouts\n")
        let error = try #require(throws: ConfigurationError.self) {
            try WorkerConfigurationLoader.load(
                file: nil,
                environment: [variable: "postgres://u:direct-secret-777@db/payouts", fileVariable: file]
            )
        }
        #expect(error.key == fileVariable)
        #expect(error.description.contains(variable))
        #expect(error.description.contains(fileVariable))
        #expect(!error.description.contains("direct-secret-777"))
        #expect(!error.description.contains("file-secret-999"))
    }

    @Test(
        "an unreadable or empty secret file is refused, naming its variable",
        arguments: [
            "DOLLR_CLIENT_SECRET_FILE", "MERCHANT_PASSCODE_FILE", "PAYOUT_STORE_URL_FILE", "PAYOUT_ADMIN_TOKEN_FILE",
            "PAYOUT_KAFKA_PROPERTY_SASL_PASSWORD_FILE",
        ]
    )
    func badSecretFile(fileVariable: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let missing = try #require(throws: ConfigurationError.self) {
            try WorkerConfigurationLoader.load(file: nil, environment: [fileVariable: scratch.path("absent")])
        }
        #expect(missing.key == fileVariable)
        #expect(missing.reason.contains("cannot be read"), "\(missing)")
        let empty = try scratch.write("empty", "\n")
        let blank = try #require(throws: ConfigurationError.self) {
            try WorkerConfigurationLoader.load(file: nil, environment: [fileVariable: empty])
        }
        #expect(blank.key == fileVariable)
        #expect(blank.reason.contains("empty file"), "\(blank)")
    }

    @Test("a bad value read from a file names the _FILE variable and never the value")
    func badValueInFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let store = try scratch.write("store-url", "mysql://root:hunter2@db/payouts\n")
        let storeError = try #require(throws: ConfigurationError.self) {
            try WorkerConfigurationLoader.load(file: nil, environment: ["PAYOUT_STORE_URL_FILE": store])
        }
        #expect(storeError.key == "PAYOUT_STORE_URL_FILE")
        #expect(storeError.reason.contains("scheme must be sqlite or postgres"), "\(storeError)")
        #expect(!storeError.description.contains("hunter2"))

        let protocolFile = try scratch.write("protocol", "carrier-pigeon\n")
        let propertyError = try #require(throws: ConfigurationError.self) {
            try WorkerConfigurationLoader.load(
                file: nil,
                environment: ["PAYOUT_KAFKA_PROPERTY_SECURITY_PROTOCOL_FILE": protocolFile]
            )
        }
        #expect(propertyError.key == "PAYOUT_KAFKA_PROPERTY_SECURITY_PROTOCOL_FILE")
        #expect(propertyError.reason.contains("librdkafka refuses it"), "\(propertyError)")
        #expect(!propertyError.description.contains("carrier-pigeon"))
    }

    @Test("environmentKeys lists exactly the variables the loader reads")
    func environmentKeys() {
        #expect(
            WorkerConfigurationLoader.environmentKeys == [
                "PAYOUT_KAFKA_BROKERS", "PAYOUT_KAFKA_GROUP_ID", "PAYOUT_KAFKA_GROUP_INSTANCE_ID",
                "PAYOUT_KAFKA_COMMANDS_TOPIC", "PAYOUT_KAFKA_STATUS_TOPIC", "PAYOUT_KAFKA_DEAD_LETTER_TOPIC",
                "PAYOUT_STORE_URL", "DOLLR_BASE_URL", "DOLLR_CLIENT_ID", "DOLLR_CLIENT_SECRET",
                "DOLLR_CLIENT_SECRET_FILE",
                "MERCHANT_PASSCODE", "MERCHANT_PASSCODE_FILE", "MERCHANT_PASSCODE_PHONE", "PAYOUT_ADMIN_PORT",
                "PAYOUT_ADMIN_HOST", "PAYOUT_WORKER_ID", "PAYOUT_LOG_LEVEL", "PAYOUT_JSON_LOGS", "PAYOUT_MAX_IN_FLIGHT",
                "PAYOUT_SHUTDOWN_TIMEOUT_MS", "PAYOUT_STORE_URL_FILE", "PAYOUT_RETENTION_EVENTS_DAYS",
                "PAYOUT_RETENTION_PII_DAYS",
                "PAYOUT_ADMIN_TOKEN", "PAYOUT_ADMIN_TOKEN_FILE",
            ]
        )
    }

    @Test("the admin token: from a file without its newline; too short or with spaces refused, never quoted")
    func adminToken() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = try scratch.write("admin-token", "a1b2c3d4e5f6a7b8c9d0e1f2a3b4\n")
        let configuration = try WorkerConfigurationLoader.load(
            file: nil,
            environment: ["PAYOUT_ADMIN_TOKEN_FILE": file]
        )
        #expect(configuration.admin.token?.revealed == "a1b2c3d4e5f6a7b8c9d0e1f2a3b4")
        #expect(
            try WorkerConfigurationLoader.load(file: nil, environment: [:]).admin.token == nil,
            "read-only by default"
        )
        for bad in ["short-token-123", "a token with spaces in the middle of it"] {
            let error = try #require(throws: ConfigurationError.self) {
                try WorkerConfigurationLoader.load(file: nil, environment: ["PAYOUT_ADMIN_TOKEN": bad])
            }
            #expect(error.key == "PAYOUT_ADMIN_TOKEN" && !error.description.contains(bad), "\(error)")
        }
    }
}
