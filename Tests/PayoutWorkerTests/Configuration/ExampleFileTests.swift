import PayoutWorker
import Testing

@Suite("config/payout-worker.example.json and docs/configuration.md")
struct ExampleFileTests {
    @Test("the example file loads and is the defaults, except kafka.properties as it says")
    func exampleIsTheDefaults() throws {
        let configuration = try WorkerConfigurationLoader.load(
            file: Repository.path("config/payout-worker.example.json"),
            environment: [:]
        )
        #expect(differences(configuration, WorkerConfiguration()) == ["kafka.properties"])
        #expect(configuration.kafka.properties == ["client.id": "payout-worker"])
    }

    @Test("the example file has every key")
    func exampleHasEveryKey() throws {
        let text = try Repository.text("config/payout-worker.example.json")
        for key in Self.fileKeys {
            let leaf = String(key.split(separator: ".").last!)
            #expect(text.contains("\"\(leaf)\":"), "example lacks \(key)")
        }
    }

    @Test("docs/configuration.md names every key and environment variable")
    func configurationPageDocumentsEveryKey() throws {
        let page = try Repository.text("docs/configuration.md")
        for key in Self.fileKeys {
            #expect(page.contains("`\(key)`"), "docs/configuration.md lacks \(key)")
        }
        for variable in WorkerConfigurationLoader.environmentKeys {
            #expect(page.contains("`\(variable)`"), "docs/configuration.md lacks \(variable)")
        }
        #expect(page.contains(WorkerConfigurationLoader.kafkaPropertyPrefix))
    }

    /// Every file key, as docs/configuration.md and the example spell them.
    static let fileKeys = [
        "kafka.brokers", "kafka.group_id", "kafka.group_instance_id", "kafka.commands_topic", "kafka.status_topic",
        "kafka.dead_letter_topic", "kafka.buffer_max_bytes", "kafka.properties", "kafka.consumer_properties",
        "kafka.producer_properties",
        "dollr.base_url", "dollr.client_id", "dollr.client_secret", "dollr.passcode", "dollr.passcode_phone",
        "dollr.connect_timeout_ms", "dollr.request_timeout_ms", "dollr.max_concurrent_requests",
        "admin.host", "admin.port", "admin.token", "store_url", "worker_id", "intake_batch_size", "relay_batch_size",
        "event_source", "shutdown_timeout_ms", "json_logs", "log_level",
        "engine.maximum_in_flight", "engine.lease_ms", "engine.poll_initial_delay_ms", "engine.poll_growth_percent",
        "engine.poll_maximum_delay_ms", "engine.poll_budget_ms", "engine.retry_base_delay_ms",
        "engine.retry_maximum_delay_ms", "engine.fallback_fee_basis_points", "engine.fallback_fee_minimums",
        "engine.maximum_prediction_retries", "engine.maximum_execute_attempts", "engine.not_found_grace_ms",
        "engine.wallet_without_balance",
        "commands.allowed_currencies", "commands.maximum_amounts", "commands.maximum_record_bytes",
    ]
}
