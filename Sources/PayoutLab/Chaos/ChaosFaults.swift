import DollrSandbox

/// The sandbox's behaviour during a chaos run. Worker settings are set against it: Dollr calls
/// time out after 2 s, so a 3 s hang is past the client's patience.
enum ChaosFaults {
    /// While the fault phase runs: rate limits, server errors (some after the execute was
    /// accepted), hangs, lost execute responses, provider failures, and executions that stay PROCESSING for seconds.
    static func on(_ faults: inout FaultSettings) {
        faults.p429 = 0.03
        faults.p5xx = 0.03
        faults.pHang = 0.01
        faults.pLostResponse = 0.03
        // Executed, then answered 5xx: the fault that exists to catch paying twice.
        faults.p5xxAfterAccept = 0.03
        faults.pProviderFailed = 0.03
        faults.hangMs = 3_000
        faults.retryAfterSeconds = 1
        faults.pendingMs = 300
        faults.processingMs = 2_500
    }

    /// Before and after: a well-behaved provider, so the run can settle.
    static func off(_ faults: inout FaultSettings) {
        faults.p429 = 0
        faults.p5xx = 0
        faults.pHang = 0
        faults.pLostResponse = 0
        faults.p5xxAfterAccept = 0
        faults.pProviderFailed = 0
        faults.pendingMs = 200
        faults.processingMs = 800
    }

    /// The worker configuration file every chaos worker runs with: short leases and session
    /// timeouts so a killed worker's payouts and partitions move on within seconds, a poll budget
    /// short enough for a bounded run. The lease outlasts a Dollr call (2 s) plus the longest a
    /// store statement waits for a lock (PostgreSQL's `lock_timeout`, 5 s): a shorter one is lost
    /// by a live worker whenever the fleet's commits queue for a wallet.
    static func workerConfiguration(logLevel: String) -> String {
        #"""
        {"kafka": {"properties": {"reconnect.backoff.max.ms": "1000"},
                   "consumer_properties": {"session.timeout.ms": "6000", "heartbeat.interval.ms": "500"}},
         "engine": {"lease_ms": 10000, "poll_initial_delay_ms": 200, "poll_maximum_delay_ms": 1000, "poll_budget_ms": 60000,
                    "retry_base_delay_ms": 100, "retry_maximum_delay_ms": 2000, "not_found_grace_ms": 8000},
         "dollr": {"request_timeout_ms": 2000, "connect_timeout_ms": 1000},
         "shutdown_timeout_ms": 15000,
         "log_level": "\#(logLevel)"}
        """#
    }
}
