public import DollrClient
public import PayoutEngine

public import struct Foundation.URL

/// Everything `payout-worker run` needs, with the defaults of an embedded single-node setup.
/// Loaded from a JSON file and overridden by environment variables (see `WorkerConfigurationLoader`),
/// so one image runs anywhere; secrets may also come from files (`*_FILE`).
public struct WorkerConfiguration: Sendable {
    public struct Kafka: Sendable {
        /// `PAYOUT_KAFKA_BROKERS`
        public var brokers = "127.0.0.1:9092"
        public var groupID = "payout-worker"
        /// Static membership (`group.instance.id`), e.g. the pod name; `nil` for dynamic membership.
        public var groupInstanceID: String?
        public var commandsTopic = "payouts.commands"
        public var statusTopic = "payouts.status"
        public var deadLetterTopic = "payouts.commands.dlq"
        /// Bytes of fetched commands held in memory ahead of intake; the consumer pauses its
        /// partitions above it (after a short grace), so memory stays bounded under any backlog.
        public var bufferMaxBytes = 16 << 20
        /// librdkafka properties for both consumer and producer (TLS, SASL, timeouts ...).
        public var properties: [String: String] = [:]
        public var consumerProperties: [String: String] = [:]
        public var producerProperties: [String: String] = [:]
        public init() {}
    }

    public struct Dollr: Sendable {
        /// `DOLLR_BASE_URL`
        public var baseURL = URL(string: "http://127.0.0.1:8080")!
        /// `DOLLR_CLIENT_ID`, `DOLLR_CLIENT_SECRET`, `MERCHANT_PASSCODE`, `MERCHANT_PASSCODE_PHONE`
        public var credentials = MerchantCredentials.sandboxDefaults
        public var connectTimeout: Duration = .seconds(5)
        public var requestTimeout: Duration = .seconds(30)
        /// Also caps the payouts in flight (`engine.maximumInFlight`): each makes one call at a time.
        public var maxConcurrentRequests = 256
        public init() {}
    }

    public struct Admin: Sendable {
        public var host = "127.0.0.1"
        /// `PAYOUT_ADMIN_PORT`; 0 picks a free port.
        public var port = 9090
        /// `PAYOUT_ADMIN_TOKEN` (or `PAYOUT_ADMIN_TOKEN_FILE`): the bearer token the console and every
        /// state-changing admin route require. Without one the console is read-only.
        public var token: Secret<String>?
        public init() {}
    }

    public var kafka = Kafka()
    public var dollr = Dollr()
    public var admin = Admin()
    /// `PAYOUT_STORE_URL`: `sqlite:///path/payouts.db` or `postgres://user:pass@host:port/db`.
    public var storeURL = "sqlite:///var/lib/payout-worker/payouts.db"
    /// Identifies this process in leases and logs; defaults to host name + process id.
    public var workerID: String?
    /// Records taken from Kafka per intake transaction.
    public var intakeBatchSize = 500
    /// Outbox entries published per relay round.
    public var relayBatchSize = 500
    /// `ce_source` of status events.
    public var eventSource = "payout-worker"
    /// How long graceful shutdown may take before the process exits anyway.
    public var shutdownTimeout: Duration = .seconds(30)
    /// Log lines as JSON objects instead of text.
    public var jsonLogs = false
    public var logLevel = "info"
    /// Engine settings: in-flight limit, leases, polling, fees, wallet policy.
    public var engine = EngineSettings()
    /// What intake accepts: currencies and maximum amounts.
    public var commands = CommandPolicy()

    public struct EngineSettings: Sendable {
        public var maximumInFlight = 256
        public var leaseMilliseconds: Int64 = 60_000
        public var policy = EnginePolicy()
        public init() {}
    }

    /// What the store keeps, and how often the worker prunes the rest.
    public var retention = RetentionSettings()

    public struct RetentionSettings: Sendable {
        public var policy = RetentionPolicy()
        /// Between two pruning passes of a worker; each pass runs batch by batch.
        public var interval: Duration = .seconds(60)
        public init() {}
    }

    public init() {}
}
