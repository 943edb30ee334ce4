import DollrClient
import Foundation
import PayoutEngine
import PayoutWorker
import Testing

@Suite("WorkerConfigurationLoader: the JSON file")
struct LoaderFileTests {
    /// Every key, each set to something other than its default.
    static let everyKey = """
        {
          "kafka": {
            "brokers": "k1:9093,k2:9093", "group_id": "payouts-eu", "group_instance_id": "pod-7",
            "commands_topic": "c.cmd", "status_topic": "c.status", "dead_letter_topic": "c.dlq", "buffer_max_bytes": 1048576,
            "properties": {"security.protocol": "sasl_ssl", "socket.timeout.ms": 5000, "enable.ssl.certificate.verification": true},
            "consumer_properties": {"fetch.wait.max.ms": "50"},
            "producer_properties": {"compression.type": "lz4"}
          },
          "dollr": {
            "base_url": "https://api.heydollr.app", "client_id": "merchant-9", "client_secret": "s3cr3t-value",
            "passcode": "918273", "passcode_phone": "+231779998877",
            "connect_timeout_ms": 2500, "request_timeout_ms": 20000, "max_concurrent_requests": 8
          },
          "admin": {"host": "0.0.0.0", "port": 0},
          "store_url": "postgres://payouts:pw@db:5432/payouts?sslmode=require",
          "worker_id": "worker-a", "intake_batch_size": 100, "relay_batch_size": 50,
          "event_source": "payouts-eu", "shutdown_timeout_ms": 9000, "json_logs": true, "log_level": "debug",
          "engine": {
            "maximum_in_flight": 32, "lease_ms": 45000, "poll_initial_delay_ms": 1000, "poll_growth_percent": 200,
            "poll_maximum_delay_ms": 10000, "poll_budget_ms": 600000, "retry_base_delay_ms": 500,
            "retry_maximum_delay_ms": 30000, "fallback_fee_basis_points": 250, "fallback_fee_minimums": {"USD": "0.50", "KES": 20},
            "maximum_prediction_retries": 0, "maximum_execute_attempts": 3, "wallet_without_balance": "execute_unchecked"
          },
          "commands": {
            "allowed_currencies": ["USD", "KES"], "maximum_amounts": {"USD": "500.50", "KES": 75000},
            "maximum_record_bytes": 32768
          }
        }
        """

    @Test("every section and key of the file is applied")
    func everyKeyApplied() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = try scratch.write("worker.json", Self.everyKey)
        let configuration = try WorkerConfigurationLoader.load(file: path, environment: [:])

        #expect(configuration.kafka.brokers == "k1:9093,k2:9093")
        #expect(configuration.kafka.groupID == "payouts-eu")
        #expect(configuration.kafka.groupInstanceID == "pod-7")
        #expect(configuration.kafka.commandsTopic == "c.cmd")
        #expect(configuration.kafka.statusTopic == "c.status")
        #expect(configuration.kafka.deadLetterTopic == "c.dlq")
        #expect(configuration.kafka.bufferMaxBytes == 1 << 20)
        #expect(
            configuration.kafka.properties == [
                "security.protocol": "sasl_ssl", "socket.timeout.ms": "5000",
                "enable.ssl.certificate.verification": "true",
            ]
        )
        #expect(configuration.kafka.consumerProperties == ["fetch.wait.max.ms": "50"])
        #expect(configuration.kafka.producerProperties == ["compression.type": "lz4"])

        #expect(configuration.dollr.baseURL == URL(string: "https://api.heydollr.app")!)
        #expect(configuration.dollr.credentials.clientID == "merchant-9")
        #expect(configuration.dollr.credentials.clientSecret.revealed == "s3cr3t-value")
        #expect(configuration.dollr.credentials.passcode.revealed == "918273")
        #expect(configuration.dollr.credentials.passcodePhone.revealed == "231779998877")
        #expect(configuration.dollr.connectTimeout == .milliseconds(2500))
        #expect(configuration.dollr.requestTimeout == .seconds(20))
        #expect(configuration.dollr.maxConcurrentRequests == 8)

        #expect(configuration.admin.host == "0.0.0.0")
        #expect(configuration.admin.port == 0)

        #expect(configuration.storeURL == "postgres://payouts:pw@db:5432/payouts?sslmode=require")
        #expect(configuration.workerID == "worker-a")
        #expect(configuration.intakeBatchSize == 100)
        #expect(configuration.relayBatchSize == 50)
        #expect(configuration.eventSource == "payouts-eu")
        #expect(configuration.shutdownTimeout == .seconds(9))
        #expect(configuration.jsonLogs)
        #expect(configuration.logLevel == "debug")

        let engine = configuration.engine
        #expect(engine.maximumInFlight == 32)
        #expect(engine.leaseMilliseconds == 45_000)
        #expect(engine.policy.pollInitialDelayMilliseconds == 1_000)
        #expect(engine.policy.pollGrowthPercent == 200)
        #expect(engine.policy.pollMaximumDelayMilliseconds == 10_000)
        #expect(engine.policy.pollBudgetMilliseconds == 600_000)
        #expect(engine.policy.retryBaseDelayMilliseconds == 500)
        #expect(engine.policy.retryMaximumDelayMilliseconds == 30_000)
        #expect(engine.policy.fallbackFeeBasisPoints == 250)
        #expect(engine.policy.maximumPredictionRetries == 0)
        #expect(engine.policy.maximumExecuteAttempts == 3)
        #expect(engine.policy.walletWithoutBalance == .executeUnchecked)

        let kes = try CurrencyCode("KES")
        #expect(configuration.commands.allowedCurrencies == [.usd, kes])
        #expect(
            configuration.commands.maximumAmounts == [
                .usd: Money(minorUnits: 50_050, currency: .usd), kes: Money(minorUnits: 7_500_000, currency: kes),
            ]
        )
        #expect(configuration.commands.maximumRecordBytes == 32_768)
        #expect(engine.policy.fallbackFeeMinimums == [.usd: 50, kes: 2_000])
    }

    @Test("no file and no environment give the defaults, which are valid")
    func defaults() throws {
        let configuration = try WorkerConfigurationLoader.load(file: nil, environment: [:])
        #expect(differences(configuration, WorkerConfiguration()) == [])
    }

    @Test("a partial file changes only what it names")
    func partialFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = try scratch.write("worker.json", #"{"engine": {"lease_ms": 90000}, "admin": {"port": 9999}}"#)
        let configuration = try WorkerConfigurationLoader.load(file: path, environment: [:])
        #expect(differences(configuration, WorkerConfiguration()).sorted() == ["admin.port", "engine.lease_ms"])
    }

    @Test("null clears the optional keys")
    func nullClearsOptionals() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = try scratch.write("worker.json", #"{"kafka": {"group_instance_id": null}, "worker_id": null}"#)
        let configuration = try WorkerConfigurationLoader.load(
            file: path,
            environment: [:]
        )
        #expect(configuration.kafka.groupInstanceID == nil)
        #expect(configuration.workerID == nil)
    }

    @Test("narrowing allowed_currencies drops the default ceilings of currencies no longer allowed")
    func narrowedCurrencies() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = try scratch.write("worker.json", #"{"commands": {"allowed_currencies": ["USD"]}}"#)
        let configuration = try WorkerConfigurationLoader.load(file: path, environment: [:])
        #expect(configuration.commands.allowedCurrencies == [.usd])
        #expect(configuration.commands.maximumAmounts == [.usd: Money(minorUnits: 1_000_000, currency: .usd)])
    }

    @Test("members whose name starts with // are comments")
    func comments() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = try scratch.write("worker.json", #"{"//": "top", "engine": {"// lease": "why", "lease_ms": 61000}}"#)
        #expect(try WorkerConfigurationLoader.load(file: path, environment: [:]).engine.leaseMilliseconds == 61_000)
    }
}
