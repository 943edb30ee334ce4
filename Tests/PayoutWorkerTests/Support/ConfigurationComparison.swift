import DollrClient
import PayoutEngine
import PayoutWorker

/// The names of the fields in which two configurations differ, so a failed comparison says where.
/// (WorkerConfiguration is not Equatable: CommandPolicy, from PayoutEngine, is not.)
func differences(_ lhs: WorkerConfiguration, _ rhs: WorkerConfiguration) -> [String] {
    var names: [String] = []
    func check<T: Equatable>(_ name: String, _ keyPath: KeyPath<WorkerConfiguration, T>) {
        if lhs[keyPath: keyPath] != rhs[keyPath: keyPath] { names.append(name) }
    }
    check("kafka.brokers", \.kafka.brokers)
    check("kafka.group_id", \.kafka.groupID)
    check("kafka.group_instance_id", \.kafka.groupInstanceID)
    check("kafka.commands_topic", \.kafka.commandsTopic)
    check("kafka.status_topic", \.kafka.statusTopic)
    check("kafka.dead_letter_topic", \.kafka.deadLetterTopic)
    check("kafka.buffer_max_bytes", \.kafka.bufferMaxBytes)
    check("kafka.properties", \.kafka.properties)
    check("kafka.consumer_properties", \.kafka.consumerProperties)
    check("kafka.producer_properties", \.kafka.producerProperties)
    check("dollr.base_url", \.dollr.baseURL)
    check("dollr.credentials", \.dollr.credentials)
    check("dollr.connect_timeout_ms", \.dollr.connectTimeout)
    check("dollr.request_timeout_ms", \.dollr.requestTimeout)
    check("dollr.max_concurrent_requests", \.dollr.maxConcurrentRequests)
    check("admin.host", \.admin.host)
    check("admin.port", \.admin.port)
    check("admin.token", \.admin.token)
    check("store_url", \.storeURL)
    check("worker_id", \.workerID)
    check("intake_batch_size", \.intakeBatchSize)
    check("relay_batch_size", \.relayBatchSize)
    check("event_source", \.eventSource)
    check("shutdown_timeout_ms", \.shutdownTimeout)
    check("json_logs", \.jsonLogs)
    check("log_level", \.logLevel)
    check("engine.maximum_in_flight", \.engine.maximumInFlight)
    check("engine.lease_ms", \.engine.leaseMilliseconds)
    check("engine.policy", \.engine.policy)
    check("commands.allowed_currencies", \.commands.allowedCurrencies)
    check("commands.maximum_amounts", \.commands.maximumAmounts)
    check("commands.maximum_record_bytes", \.commands.maximumRecordBytes)
    return names
}
