import DollrClient
public import Kafka
public import PayoutEngine
public import Prometheus
import Synchronization

/// Everything the worker counts, in Prometheus text format.
///
/// Each instance owns its own `PrometheusCollectorRegistry`: nothing is bootstrapped globally, so tests (and a process
/// embedding several workers) can make as many as they like. All methods are cheap, thread-safe and never throw.
///
/// Labels carry codes only (result, status, reason, call, outcome, topic, partition, wallet, currency), never a
/// reference_id, a phone number or a secret; free-text codes that do not look like identifiers are reported as `other`.
///
/// Values are for display. Wallet balances in particular are converted to major units as `Double`; the ledger in the
/// store is the only source of truth for money.
public final class WorkerMetrics: Sendable, EngineObserver {
    /// The registry behind ``render()``; exposed so a process can add its own collectors to the same scrape.
    public let registry: PrometheusCollectorRegistry
    /// Lag and execute latencies as the console shows them.
    public let recent = RecentActivity()

    // MARK: Intake
    private let commandsConsumed: Counter
    private let commandResults: [IntakeResultKind: Counter]
    private let deadLetters: LabeledSeries<Counter>
    // MARK: Publishing
    private let eventsPublished: Counter
    private let publishFailures: Counter
    private let outboxBacklog: Gauge
    private let deadLettersKept: Gauge
    // MARK: State
    private let payouts: ReportedGauges
    private let inFlight: Gauge
    private let consumerLag: ReportedGauges
    private let walletAvailable: ReportedGauges
    private let reviewQueue: Gauge
    private let reviewQueueOldest: Gauge
    private let resolutions: [ResolutionAudit.Kind: Counter]
    private let pruned: [PruneTarget: Counter]
    private let recipientsScrubbed: Counter
    private let storeRows: ReportedGauges
    /// The audit log's counts already added to `resolutions`, so each report adds only what is new.
    private let resolutionsReported = Mutex<[ResolutionAudit.Kind: Int]>([:])
    // MARK: Engine
    private let providerCalls: LabeledSeries<DurationHistogram>
    private let executions: LabeledSeries<Counter>
    private let ledgerMismatches: LabeledSeries<Counter>
    private let leasesLost: Counter
    private let leasesExpired: Counter
    // MARK: Store
    private let lockConflicts: [StoreLockConflicts.Kind: Counter]
    /// The store's totals already added to `lockConflicts`.
    private let lockConflictsReported = Mutex<StoreLockConflicts>(StoreLockConflicts())

    /// Upper bounds of the provider call histogram: Dollr answers in tens of milliseconds when healthy, and our client
    /// gives up after 30 s by default.
    public static let providerCallBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30),
    ]

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry

        @Sendable func counter(_ name: String, _ help: String, labels: [(String, String)] = []) -> Counter {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(metricName: name, unitName: "total", helpText: help),
                labels: labels
            )
        }
        @Sendable func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help))
        }

        self.commandsConsumed = counter("payout_commands_consumed", "Records taken from the commands topic.")
        // Every result exists from the start at 0, so `rate()` works before the first rejection ever happens.
        self.commandResults = Dictionary(
            uniqueKeysWithValues: IntakeResultKind.allCases.map { kind in
                (kind, counter("payout_commands", "Commands by intake result.", labels: [("result", kind.rawValue)]))
            }
        )
        self.deadLetters = LabeledSeries { values in
            counter(
                "payout_dead_letters",
                "Records sent to the dead-letter topic, by reason code.",
                labels: [("reason", values[0])]
            )
        }
        self.eventsPublished = counter("payout_events_published", "Status events acknowledged by Kafka.")
        self.publishFailures = counter("payout_publish_failures", "Status events Kafka did not acknowledge.")
        self.outboxBacklog = gauge("payout_outbox_backlog", "Status events written but not yet published.")
        self.deadLettersKept = gauge(
            "payout_dead_letters_kept",
            "Dead letters the dead-letter topic refused for good, kept in the store and not yet sent."
        )
        self.payouts = ReportedGauges(
            registry: registry,
            name: "payout_payouts",
            help: "Payouts in the store by status.",
            labelNames: ["status"],
            pinned: Set(PayoutStatus.allCases.map { [$0.rawValue] })
        )
        self.inFlight = gauge("payout_in_flight", "Payouts this process is advancing now.")
        self.reviewQueue = gauge("payout_review_queue", "Payouts waiting in REQUIRES_REVIEW.")
        self.reviewQueueOldest = gauge(
            "payout_review_queue_oldest_seconds",
            "How long the longest-waiting payout in REQUIRES_REVIEW has waited (0 when none waits)."
        )
        self.pruned = Dictionary(
            uniqueKeysWithValues: PruneTarget.allCases.map { target in
                (
                    target,
                    counter(
                        "payout_pruned_rows",
                        "Rows deleted by retention, by table.",
                        labels: [("table", target.rawValue)]
                    )
                )
            }
        )
        self.recipientsScrubbed = counter(
            "payout_recipient_details_scrubbed",
            "Terminal payouts whose recipient details retention removed from the store."
        )
        self.storeRows = ReportedGauges(
            registry: registry,
            name: "payout_store_rows",
            help: "Rows per store table, counted at each pruning pass.",
            labelNames: ["table"]
        )
        self.resolutions = Dictionary(
            uniqueKeysWithValues: ResolutionAudit.Kind.allCases.map { kind in
                (
                    kind,
                    counter(
                        "payout_resolutions",
                        "Payouts under review resolved, by a recheck or an operator (the store's audit log: every worker reports the fleet's total).",
                        labels: [("by", kind.rawValue)]
                    )
                )
            }
        )
        self.consumerLag = ReportedGauges(
            registry: registry,
            name: "payout_consumer_lag",
            help: "Messages behind the end of each partition assigned to this process.",
            labelNames: ["topic", "partition"]
        )
        self.walletAvailable = ReportedGauges(
            registry: registry,
            name: "payout_wallet_available",
            help: "Wallet balance minus pending holds, in major units (display only).",
            labelNames: ["wallet", "currency"]
        )
        self.providerCalls = LabeledSeries { values in
            registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(
                    metricName: "payout_provider_call_duration",
                    unitName: "seconds",
                    helpText: "Dollr calls by call and outcome."
                ),
                labels: [("call", values[0]), ("outcome", values[1])],
                buckets: WorkerMetrics.providerCallBuckets
            )
        }
        self.executions = LabeledSeries { values in
            counter(
                "payout_executions",
                "Payouts that reached a final status, by status and reason code.",
                labels: [("status", values[0]), ("reason", values[1])]
            )
        }
        self.ledgerMismatches = LabeledSeries { values in
            counter(
                "payout_ledger_mismatches",
                "Completed payouts whose debit the hold did not cover, or that Dollr reported in another currency.",
                labels: [("reason", values[0]), ("currency", values[1])]
            )
        }
        self.leasesLost = counter(
            "payout_leases_lost",
            "Engine steps whose commit was refused because another claim owned the payout by then."
        )
        self.leasesExpired = counter(
            "payout_leases_expired",
            "Payouts this process left before a Dollr call because their lease could not be renewed."
        )
        self.lockConflicts = Dictionary(
            uniqueKeysWithValues: StoreLockConflicts.Kind.allCases.map { kind in
                (
                    kind,
                    counter(
                        "payout_store_lock_conflicts",
                        "Store transactions ended by a deadlock, a lock or statement timeout, or a serialization failure; each was rolled back, and run again where that can help.",
                        labels: [("kind", kind.rawValue)]
                    )
                )
            }
        )
    }

    /// Every metric in Prometheus text format 0.0.4.
    public func render() -> String {
        self.registry.emitToString()
    }

    // MARK: - Intake

    public func commandsConsumed(_ count: Int) {
        self.commandsConsumed.increment(by: Int64(max(0, count)))
    }

    /// Counts each result under `payout_commands_total{result}`.
    public func intakeResults(_ results: [IntakeResult]) {
        var counts: [IntakeResultKind: Int64] = [:]
        for result in results {
            counts[IntakeResultKind(result), default: 0] += 1
        }
        for (kind, count) in counts {
            self.commandResults[kind]?.increment(by: count)
        }
    }

    /// A record went to the dead-letter topic; `reason` is its code (`VALIDATION_ERROR`, `IDEMPOTENCY_CONFLICT`, ...).
    public func deadLettered(reason: String) {
        self.deadLetters[MetricLabel.code(reason)].increment()
    }

    // MARK: - Publishing

    public func eventsPublished(_ count: Int) {
        self.eventsPublished.increment(by: Int64(max(0, count)))
    }

    public func publishFailures(_ count: Int) {
        self.publishFailures.increment(by: Int64(max(0, count)))
    }

    public func deadLettersKept(_ count: Int) {
        self.deadLettersKept.set(Int64(count))
    }

    public func outboxBacklog(_ count: Int) {
        self.outboxBacklog.set(Int64(count))
    }

    // MARK: - State

    /// The review queue's length and the age of its oldest payout, at `now` (epoch milliseconds).
    public func reviewQueue(_ summary: ReviewQueueSummary, now: Int64) {
        self.reviewQueue.set(Int64(summary.count))
        self.reviewQueueOldest.set(Double(summary.oldestSince.map { max(0, now - $0) } ?? 0) / 1000)
    }

    /// Resolutions in the audit log by kind; the counters grow by what is new since the last report.
    public func resolutions(_ counts: [ResolutionAudit.Kind: Int]) {
        let added = resolutionsReported.withLock { reported in
            var added: [ResolutionAudit.Kind: Int] = [:]
            for (kind, count) in counts where count > reported[kind, default: 0] {
                added[kind] = count - reported[kind, default: 0]
                reported[kind] = count
            }
            return added
        }
        for (kind, count) in added { self.resolutions[kind]?.increment(by: Int64(count)) }
    }

    /// What a pruning pass deleted and scrubbed.
    public func pruned(_ report: PruneReport) {
        for (target, count) in report.deleted where count > 0 { self.pruned[target]?.increment(by: Int64(count)) }
        if report.scrubbed > 0 { self.recipientsScrubbed.increment(by: Int64(report.scrubbed)) }
    }

    /// Rows per store table.
    public func storeRows(_ counts: [String: Int]) {
        self.storeRows.report(
            Dictionary(uniqueKeysWithValues: counts.map { ([MetricLabel.code($0.key)], Double($0.value)) })
        )
    }

    /// Payouts per status label (`ACCEPTED`, `PENDING`, ...). Statuses missing from `counts` read 0.
    public func payoutsByStatus(_ counts: [String: Int]) {
        var values: [[String]: Double] = [:]
        for (status, count) in counts {
            values[[MetricLabel.code(status)], default: 0] += Double(count)
        }
        self.payouts.report(values)
    }

    /// Payouts this process is advancing now.
    public func inFlight(_ count: Int) {
        self.inFlight.set(Int64(count))
    }

    /// Lag of every partition assigned now; partitions missing from `lag` (revoked) disappear from the scrape.
    public func consumerLag(_ lag: [KafkaTopicPartition: Int64]) {
        var values: [[String]: Double] = [:]
        for (topicPartition, messages) in lag {
            values[[topicPartition.topic, String(topicPartition.partition)]] = Double(messages)
        }
        self.consumerLag.report(values)
        self.recent.recordLag(lag)
    }

    /// Available balance (balance minus holds) of every wallet; wallets missing from `wallets` disappear.
    /// The value is in major units, converted exactly from minor units (see ``MajorUnits``), for display only.
    public func walletAvailable(_ wallets: [WalletBalance]) {
        var values: [[String]: Double] = [:]
        for wallet in wallets {
            let digits = (try? CurrencyCode(wallet.currency))?.minorDigits ?? 2
            values[[wallet.walletID, wallet.currency]] = MajorUnits.value(minor: wallet.availableMinor, digits: digits)
        }
        self.walletAvailable.report(values)
    }

    /// The store's lock conflicts since it opened; the counters grow by what is new since the last report.
    public func lockConflicts(_ totals: StoreLockConflicts) {
        let added = lockConflictsReported.withLock { reported in
            let added = StoreLockConflicts.Kind.allCases.map { ($0, totals[$0] - reported[$0]) }
            reported = totals
            return added
        }
        for (kind, count) in added where count > 0 { self.lockConflicts[kind]?.increment(by: Int64(count)) }
    }

    // MARK: - EngineObserver

    public func leaseLost() {
        self.leasesLost.increment()
    }

    public func leaseExpired() {
        self.leasesExpired.increment()
    }

    /// Records `payout_provider_call_duration_seconds{call,outcome}`.
    public func providerCallFinished(call: String, outcome: String, duration: Duration) {
        self.providerCalls[MetricLabel.code(call), MetricLabel.code(outcome)].record(duration)
        if call == "execute" { self.recent.recordExecute(duration) }
    }

    /// Counts `payout_executions_total{status,reason}`; `reason` is `none` when the payout has no reason code.
    public func payoutFinished(status: PayoutStatus, reason: PayoutReason.Code?) {
        self.executions[status.rawValue, reason?.rawValue ?? "none"].increment()
    }

    public func ledgerMismatch(_ mismatch: LedgerMismatch, currency: String) {
        self.ledgerMismatches[mismatch.rawValue, currency].increment()
    }
}
