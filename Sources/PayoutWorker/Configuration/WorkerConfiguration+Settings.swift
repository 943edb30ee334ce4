import DollrClient
import PayoutEngine

extension WorkerConfiguration {
    /// Every key of the configuration file, with its environment variable where it has one.
    /// docs/configuration.md's table lists the same keys; a test keeps the two in step.
    static var settings: [ConfigurationSetting] {
        typealias S = ConfigurationSetting
        let positive = 1...Int.max
        let positiveMilliseconds = 1...Int64.max
        return [
            // MARK: kafka
            .text("kafka.brokers", "PAYOUT_KAFKA_BROKERS", \.kafka.brokers, rule: ConfigurationRules.brokers),
            .text("kafka.group_id", "PAYOUT_KAFKA_GROUP_ID", \.kafka.groupID),
            .optionalText("kafka.group_instance_id", "PAYOUT_KAFKA_GROUP_INSTANCE_ID", \.kafka.groupInstanceID),
            .text(
                "kafka.commands_topic",
                "PAYOUT_KAFKA_COMMANDS_TOPIC",
                \.kafka.commandsTopic,
                rule: ConfigurationRules.topic
            ),
            .text(
                "kafka.status_topic",
                "PAYOUT_KAFKA_STATUS_TOPIC",
                \.kafka.statusTopic,
                rule: ConfigurationRules.topic
            ),
            .text(
                "kafka.dead_letter_topic",
                "PAYOUT_KAFKA_DEAD_LETTER_TOPIC",
                \.kafka.deadLetterTopic,
                rule: ConfigurationRules.topic
            ),
            .integer("kafka.buffer_max_bytes", nil, (64 << 10)...(1 << 30), \.kafka.bufferMaxBytes),
            .properties("kafka.properties", \.kafka.properties),
            .properties("kafka.consumer_properties", \.kafka.consumerProperties),
            .properties("kafka.producer_properties", \.kafka.producerProperties),

            // MARK: dollr
            S(path: "dollr.base_url", environment: "DOLLR_BASE_URL") { (configuration, raw) throws(RuleViolation) in
                configuration.dollr.baseURL = try ConfigurationRules.httpURL(try raw.string())
            },
            .text("dollr.client_id", "DOLLR_CLIENT_ID", \.dollr.credentials.clientID),
            S(path: "dollr.client_secret", environment: "DOLLR_CLIENT_SECRET") {
                (configuration, raw) throws(RuleViolation) in
                let secret = try raw.string()
                try ConfigurationRules.notEmpty(secret)
                configuration.dollr.credentials.clientSecret = Secret(secret)
            },
            S(path: "dollr.passcode", environment: "MERCHANT_PASSCODE") { (configuration, raw) throws(RuleViolation) in
                let passcode = try raw.string()
                try ConfigurationRules.notEmpty(passcode)
                configuration.dollr.credentials.passcode = Secret(passcode)
            },
            S(path: "dollr.passcode_phone", environment: "MERCHANT_PASSCODE_PHONE") {
                (configuration, raw) throws(RuleViolation) in
                configuration.dollr.credentials.passcodePhone = try ConfigurationRules.phone(try raw.string())
            },
            .milliseconds("dollr.connect_timeout_ms", nil, positiveMilliseconds, \.dollr.connectTimeout),
            .milliseconds("dollr.request_timeout_ms", nil, positiveMilliseconds, \.dollr.requestTimeout),
            .integer("dollr.max_concurrent_requests", nil, positive, \.dollr.maxConcurrentRequests),

            // MARK: admin
            .text("admin.host", "PAYOUT_ADMIN_HOST", \.admin.host),
            .integer("admin.port", "PAYOUT_ADMIN_PORT", 0...65535, \.admin.port),
            S(path: "admin.token", environment: "PAYOUT_ADMIN_TOKEN") { (configuration, raw) throws(RuleViolation) in
                configuration.admin.token = try raw.optionalString().map { text throws(RuleViolation) in
                    Secret(try ConfigurationRules.adminToken(text))
                }
            },

            // MARK: process
            .text("store_url", "PAYOUT_STORE_URL", \.storeURL, rule: ConfigurationRules.storeURL),
            .optionalText("worker_id", "PAYOUT_WORKER_ID", \.workerID),
            .integer("intake_batch_size", nil, positive, \.intakeBatchSize),
            .integer("relay_batch_size", nil, positive, \.relayBatchSize),
            .text("event_source", nil, \.eventSource),
            .milliseconds("shutdown_timeout_ms", "PAYOUT_SHUTDOWN_TIMEOUT_MS", positiveMilliseconds, \.shutdownTimeout),
            .flag("json_logs", "PAYOUT_JSON_LOGS", \.jsonLogs),
            .text("log_level", "PAYOUT_LOG_LEVEL", \.logLevel, rule: ConfigurationRules.logLevel),

            // MARK: engine
            .integer("engine.maximum_in_flight", "PAYOUT_MAX_IN_FLIGHT", positive, \.engine.maximumInFlight),
            .integer("engine.lease_ms", nil, positiveMilliseconds, \.engine.leaseMilliseconds),
            .integer(
                "engine.poll_initial_delay_ms",
                nil,
                positiveMilliseconds,
                \.engine.policy.pollInitialDelayMilliseconds
            ),
            .integer("engine.poll_growth_percent", nil, 100...1_000, \.engine.policy.pollGrowthPercent),
            .integer(
                "engine.poll_maximum_delay_ms",
                nil,
                positiveMilliseconds,
                \.engine.policy.pollMaximumDelayMilliseconds
            ),
            .integer("engine.poll_budget_ms", nil, positiveMilliseconds, \.engine.policy.pollBudgetMilliseconds),
            .integer(
                "engine.retry_base_delay_ms",
                nil,
                positiveMilliseconds,
                \.engine.policy.retryBaseDelayMilliseconds
            ),
            .integer(
                "engine.retry_maximum_delay_ms",
                nil,
                positiveMilliseconds,
                \.engine.policy.retryMaximumDelayMilliseconds
            ),
            .integer("engine.fallback_fee_basis_points", nil, 0...10_000, \.engine.policy.fallbackFeeBasisPoints),
            S(path: "engine.fallback_fee_minimums", environment: nil) { (configuration, raw) throws(RuleViolation) in
                configuration.engine.policy.fallbackFeeMinimums = try ConfigurationRules.amountsByCurrency(
                    raw,
                    allowingZero: true
                )
                .mapValues(\.minorUnits)
            },
            .integer("engine.maximum_prediction_retries", nil, 0...Int.max, \.engine.policy.maximumPredictionRetries),
            .integer("engine.maximum_execute_attempts", nil, positive, \.engine.policy.maximumExecuteAttempts),
            .integer("engine.not_found_grace_ms", nil, positiveMilliseconds, \.engine.policy.notFoundGraceMilliseconds),
            .integer(
                "engine.review_recheck_interval_ms",
                nil,
                positiveMilliseconds,
                \.engine.policy.reviewRecheckIntervalMilliseconds
            ),
            .integer(
                "engine.review_recheck_budget_ms",
                nil,
                0...Int64.max / 2,
                \.engine.policy.reviewRecheckBudgetMilliseconds
            ),
            S(path: "engine.wallet_without_balance", environment: nil) { (configuration, raw) throws(RuleViolation) in
                switch try raw.string() {
                case "fail": configuration.engine.policy.walletWithoutBalance = .fail
                case "execute_unchecked": configuration.engine.policy.walletWithoutBalance = .executeUnchecked
                default: throw RuleViolation("must be fail or execute_unchecked")
                }
            },

            // MARK: commands
            S(path: "commands.allowed_currencies", environment: nil) { (configuration, raw) throws(RuleViolation) in
                var currencies: Set<CurrencyCode> = []
                for (position, element) in try raw.array().enumerated() {
                    guard case .string(let code) = element else {
                        throw RuleViolation(
                            "expected a currency code string, got \(element.typeName)",
                            subkey: "\(position)"
                        )
                    }
                    currencies.insert(try ConfigurationRules.currency(code, subkey: "\(position)"))
                }
                guard !currencies.isEmpty else { throw RuleViolation("must name at least one currency") }
                configuration.commands.allowedCurrencies = currencies
            },
            S(path: "commands.maximum_amounts", environment: nil) { (configuration, raw) throws(RuleViolation) in
                configuration.commands.maximumAmounts = try ConfigurationRules.amountsByCurrency(
                    raw,
                    allowingZero: false
                )
            },
            .integer("commands.maximum_record_bytes", nil, 1...(64 * 1024 * 1024), \.commands.maximumRecordBytes),

            // MARK: retention
            .integer("retention.outbox_ms", nil, 0...Int64.max / 2, \.retention.policy.outboxMilliseconds),
            S(path: "retention.events_days", environment: "PAYOUT_RETENTION_EVENTS_DAYS") {
                (configuration, raw) throws(RuleViolation) in
                configuration.retention.policy.eventsMilliseconds = try raw.integer(in: Int64(1)...36_500) * 86_400_000
            },
            S(path: "retention.pii_days", environment: "PAYOUT_RETENTION_PII_DAYS") {
                (configuration, raw) throws(RuleViolation) in
                configuration.retention.policy.recipientDetailsMilliseconds =
                    try raw.integer(in: Int64(0)...36_500) * 86_400_000
            },
            .milliseconds("retention.interval_ms", nil, 1_000...86_400_000, \.retention.interval),
            .integer("retention.batch_size", nil, 1...10_000, \.retention.policy.batchSize),
        ]
    }
}
