import Foundation
import Kafka
import PayoutEngine
import PayoutWorker
import Testing

@Suite struct WorkerMetricsTests {
    let metrics = WorkerMetrics()

    private func scrape() throws -> PrometheusExposition {
        try PrometheusExposition(parsing: self.metrics.render())
    }

    @Test func freshMetricsExposeTheFixedSeriesAtZero() throws {
        let scrape = try self.scrape()
        #expect(scrape.types["payout_commands_consumed_total"] == "counter")
        #expect(scrape.types["payout_commands_total"] == "counter")
        #expect(scrape.types["payout_events_published_total"] == "counter")
        #expect(scrape.types["payout_publish_failures_total"] == "counter")
        #expect(scrape.types["payout_outbox_backlog"] == "gauge")
        #expect(scrape.types["payout_payouts"] == "gauge")
        #expect(scrape.types["payout_in_flight"] == "gauge")
        #expect(scrape.value("payout_commands_consumed_total") == 0)
        for result in ["accepted", "duplicate", "rejected", "conflict", "invalid", "redelivered"] {
            #expect(scrape.value("payout_commands_total", ["result": result]) == 0, "\(result)")
        }
        #expect(
            Set(scrape.samples(named: "payout_payouts").map { $0.labels["status"] ?? "" })
                == Set(PayoutStatus.allCases.map(\.rawValue))
        )
        #expect(scrape.samples(named: "payout_payouts").allSatisfy { $0.value == 0 })
    }

    @Test func reviewQueueAndResolutionsFromTheStore() throws {
        var scrape = try self.scrape()
        #expect(scrape.value("payout_review_queue") == 0 && scrape.value("payout_review_queue_oldest_seconds") == 0)
        #expect(scrape.value("payout_resolutions_total", ["by": "recheck"]) == 0)
        #expect(scrape.value("payout_resolutions_total", ["by": "operator"]) == 0)

        self.metrics.reviewQueue(ReviewQueueSummary(count: 3, oldestSince: 1_000), now: 91_500)
        self.metrics.resolutions([.recheck: 2, .operator: 1])
        self.metrics.resolutions([.recheck: 2, .operator: 4])  // the audit log's totals: only what is new is added
        scrape = try self.scrape()
        #expect(scrape.value("payout_review_queue") == 3)
        #expect(scrape.value("payout_review_queue_oldest_seconds") == 90.5)
        #expect(scrape.types["payout_resolutions_total"] == "counter")
        #expect(scrape.value("payout_resolutions_total", ["by": "recheck"]) == 2)
        #expect(scrape.value("payout_resolutions_total", ["by": "operator"]) == 4)
        self.metrics.reviewQueue(ReviewQueueSummary(count: 0, oldestSince: nil), now: 99_000)
        #expect(try self.scrape().value("payout_review_queue_oldest_seconds") == 0)
    }

    @Test func retentionCountsWhatItPrunesAndTheRowsLeft() throws {
        var report = PruneReport()
        report.deleted = [.sentOutbox: 40, .events: 7, .intakeSources: 0]
        report.scrubbed = 3
        self.metrics.pruned(report)
        self.metrics.pruned(report)
        self.metrics.storeRows(["payouts": 10, "outbox": 2])
        let scrape = try self.scrape()
        #expect(scrape.value("payout_pruned_rows_total", ["table": "outbox"]) == 80)
        #expect(scrape.value("payout_pruned_rows_total", ["table": "payout_events"]) == 14)
        #expect(scrape.value("payout_pruned_rows_total", ["table": "intake_sources"]) == 0)
        #expect(scrape.value("payout_recipient_details_scrubbed_total") == 6)
        #expect(
            scrape.value("payout_store_rows", ["table": "payouts"]) == 10
                && scrape.value("payout_store_rows", ["table": "outbox"]) == 2
        )
    }

    @Test func intakeCountsEveryResultAndDeadLetterReason() throws {
        let reference = ReferenceID(UUID())
        let rejection = CommandRejection(referenceID: reference, field: "amount", message: "must be above 0")
        self.metrics.commandsConsumed(3)
        self.metrics.commandsConsumed(2)
        self.metrics.intakeResults([
            .accepted(referenceID: ReferenceID(UUID())), .accepted(referenceID: ReferenceID(UUID())),
            .duplicate(referenceID: ReferenceID(UUID()), latestStatus: .accepted),
            .rejected(referenceID: reference, rejection),
            .conflict(referenceID: ReferenceID(UUID())),
            .invalid(rejection), .invalid(rejection), .invalid(rejection),
            .redelivered(referenceID: ReferenceID(UUID())),
        ])
        self.metrics.deadLettered(reason: "VALIDATION_ERROR")
        self.metrics.deadLettered(reason: "VALIDATION_ERROR")
        self.metrics.deadLettered(reason: "IDEMPOTENCY_CONFLICT")

        let scrape = try self.scrape()
        #expect(scrape.value("payout_commands_consumed_total") == 5)
        #expect(scrape.value("payout_commands_total", ["result": "accepted"]) == 2)
        #expect(scrape.value("payout_commands_total", ["result": "duplicate"]) == 1)
        #expect(scrape.value("payout_commands_total", ["result": "rejected"]) == 1)
        #expect(scrape.value("payout_commands_total", ["result": "conflict"]) == 1)
        #expect(scrape.value("payout_commands_total", ["result": "invalid"]) == 3)
        #expect(scrape.value("payout_commands_total", ["result": "redelivered"]) == 1)
        #expect(scrape.types["payout_dead_letters_total"] == "counter")
        #expect(scrape.value("payout_dead_letters_total", ["reason": "VALIDATION_ERROR"]) == 2)
        #expect(scrape.value("payout_dead_letters_total", ["reason": "IDEMPOTENCY_CONFLICT"]) == 1)
        #expect(scrape.samples(named: "payout_dead_letters_total").count == 2)
    }

    @Test func publishingAndStateGaugesHoldTheLastValue() throws {
        self.metrics.eventsPublished(5)
        self.metrics.eventsPublished(2)
        self.metrics.publishFailures(1)
        self.metrics.outboxBacklog(12)
        self.metrics.outboxBacklog(3)
        self.metrics.inFlight(7)

        let scrape = try self.scrape()
        #expect(scrape.value("payout_events_published_total") == 7)
        #expect(scrape.value("payout_publish_failures_total") == 1)
        #expect(scrape.value("payout_outbox_backlog") == 3)
        #expect(scrape.value("payout_in_flight") == 7)
    }

    @Test func payoutsByStatusZeroesStatusesNoLongerReported() throws {
        self.metrics.payoutsByStatus(["ACCEPTED": 4, "PENDING": 2])
        var scrape = try self.scrape()
        #expect(scrape.value("payout_payouts", ["status": "ACCEPTED"]) == 4)
        #expect(scrape.value("payout_payouts", ["status": "PENDING"]) == 2)
        #expect(scrape.value("payout_payouts", ["status": "COMPLETED"]) == 0)

        self.metrics.payoutsByStatus(["COMPLETED": 6])
        scrape = try self.scrape()
        #expect(scrape.value("payout_payouts", ["status": "ACCEPTED"]) == 0)
        #expect(scrape.value("payout_payouts", ["status": "PENDING"]) == 0)
        #expect(scrape.value("payout_payouts", ["status": "COMPLETED"]) == 6)
        #expect(scrape.samples(named: "payout_payouts").count == PayoutStatus.allCases.count)
    }

    @Test func consumerLagRemovesPartitionsThatDisappear() throws {
        let commands0 = KafkaTopicPartition(topic: "payouts.commands", partition: 0)
        let commands1 = KafkaTopicPartition(topic: "payouts.commands", partition: 1)
        let other3 = KafkaTopicPartition(topic: "other", partition: 3)
        self.metrics.consumerLag([commands0: 10, commands1: 20, other3: 5])
        var scrape = try self.scrape()
        #expect(scrape.types["payout_consumer_lag"] == "gauge")
        #expect(scrape.value("payout_consumer_lag", ["topic": "payouts.commands", "partition": "0"]) == 10)
        #expect(scrape.value("payout_consumer_lag", ["topic": "payouts.commands", "partition": "1"]) == 20)
        #expect(scrape.value("payout_consumer_lag", ["topic": "other", "partition": "3"]) == 5)

        self.metrics.consumerLag([commands1: 2])
        scrape = try self.scrape()
        #expect(
            scrape.samples(named: "payout_consumer_lag").map(\.labels) == [
                ["topic": "payouts.commands", "partition": "1"]
            ]
        )
        #expect(scrape.value("payout_consumer_lag", ["topic": "payouts.commands", "partition": "1"]) == 2)

        // Revoked again and re-assigned: the series comes back.
        self.metrics.consumerLag([:])
        #expect(try self.scrape().samples(named: "payout_consumer_lag").isEmpty)
        self.metrics.consumerLag([commands0: 1])
        #expect(try self.scrape().value("payout_consumer_lag", ["topic": "payouts.commands", "partition": "0"]) == 1)
    }

    @Test func walletAvailableIsExactMajorUnitsAndDropsMissingWallets() throws {
        self.metrics.walletAvailable([
            WalletBalance(walletID: "usd-main", currency: "USD", balanceMinor: 100_000_000_123, heldMinor: 23),
            WalletBalance(walletID: "lrd-main", currency: "LRD", balanceMinor: 12_345, heldMinor: 0),
            WalletBalance(walletID: "xof", currency: "XOF", balanceMinor: 500, heldMinor: 0),
            WalletBalance(walletID: "bhd", currency: "BHD", balanceMinor: 1_234, heldMinor: 0),
            WalletBalance(walletID: "short", currency: "USD", balanceMinor: 50, heldMinor: 100),
        ])
        var scrape = try self.scrape()
        #expect(scrape.value("payout_wallet_available", ["wallet": "usd-main", "currency": "USD"]) == 1_000_000_001)
        #expect(scrape.value("payout_wallet_available", ["wallet": "lrd-main", "currency": "LRD"]) == 123.45)
        #expect(scrape.value("payout_wallet_available", ["wallet": "xof", "currency": "XOF"]) == 500)
        #expect(scrape.value("payout_wallet_available", ["wallet": "bhd", "currency": "BHD"]) == 1.234)
        #expect(scrape.value("payout_wallet_available", ["wallet": "short", "currency": "USD"]) == -0.5)

        self.metrics.walletAvailable([
            WalletBalance(walletID: "usd-main", currency: "USD", balanceMinor: 1, heldMinor: 0)
        ])
        scrape = try self.scrape()
        #expect(scrape.samples(named: "payout_wallet_available").count == 1)
        #expect(scrape.value("payout_wallet_available", ["wallet": "usd-main", "currency": "USD"]) == 0.01)
    }

    @Test func providerCallsAreAHistogramInSecondsWithBucketsFrom5msTo30s() throws {
        self.metrics.providerCallFinished(call: "execute", outcome: "ok", duration: .milliseconds(3))
        self.metrics.providerCallFinished(call: "execute", outcome: "ok", duration: .milliseconds(40))
        self.metrics.providerCallFinished(call: "execute", outcome: "ok", duration: .seconds(45))
        self.metrics.providerCallFinished(call: "status", outcome: "rate_limited", duration: .seconds(1))

        let scrape = try self.scrape()
        let name = "payout_provider_call_duration_seconds"
        #expect(scrape.types[name] == "histogram")
        let executeBuckets = scrape.samples(named: name + "_bucket")
            .filter { $0.labels["call"] == "execute" && $0.labels["outcome"] == "ok" }
        var byBound: [Double: Double] = [:]
        for sample in executeBuckets {
            let bound = try #require(sample.labels["le"].flatMap { $0 == "+Inf" ? .infinity : Double($0) })
            byBound[bound] = sample.value
        }
        #expect(byBound.keys.sorted() == [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, .infinity])
        #expect(byBound[0.005] == 1)
        #expect(byBound[0.025] == 1)
        #expect(byBound[0.05] == 2)
        #expect(byBound[30] == 2)
        #expect(byBound[.infinity] == 3)
        #expect(scrape.value(name + "_count", ["call": "execute", "outcome": "ok"]) == 3)
        let sum = try #require(scrape.value(name + "_sum", ["call": "execute", "outcome": "ok"]))
        #expect(abs(sum - 45.043) < 1e-9)
        #expect(scrape.value(name + "_count", ["call": "status", "outcome": "rate_limited"]) == 1)
    }

    @Test func executionsCountFinalStatusAndReason() throws {
        self.metrics.payoutFinished(status: .completed, reason: nil)
        self.metrics.payoutFinished(status: .completed, reason: nil)
        self.metrics.payoutFinished(status: .failed, reason: .providerFailed)
        self.metrics.payoutFinished(status: .rejected, reason: .validationError)

        let scrape = try self.scrape()
        #expect(scrape.types["payout_executions_total"] == "counter")
        #expect(scrape.value("payout_executions_total", ["status": "COMPLETED", "reason": "none"]) == 2)
        #expect(scrape.value("payout_executions_total", ["status": "FAILED", "reason": "PROVIDER_FAILED"]) == 1)
        #expect(scrape.value("payout_executions_total", ["status": "REJECTED", "reason": "VALIDATION_ERROR"]) == 1)
        #expect(scrape.samples(named: "payout_executions_total").count == 3)
    }

    @Test func ledgerMismatchesAreCountedByReasonAndCurrency() throws {
        self.metrics.ledgerMismatch(.debitExceededHold, currency: "LRD")
        self.metrics.ledgerMismatch(.debitExceededHold, currency: "LRD")
        self.metrics.ledgerMismatch(.debitInOtherCurrency, currency: "USD")

        let scrape = try self.scrape()
        #expect(scrape.types["payout_ledger_mismatches_total"] == "counter")
        #expect(
            scrape.value("payout_ledger_mismatches_total", ["reason": "debit_exceeded_hold", "currency": "LRD"]) == 2
        )
        #expect(
            scrape.value("payout_ledger_mismatches_total", ["reason": "debit_in_other_currency", "currency": "USD"])
                == 1
        )
    }

    @Test func leasesLostAndExpiredAreCounted() throws {
        self.metrics.leaseLost()
        self.metrics.leaseExpired()
        self.metrics.leaseExpired()

        let scrape = try self.scrape()
        #expect(scrape.types["payout_leases_lost_total"] == "counter")
        #expect(scrape.value("payout_leases_lost_total") == 1)
        #expect(scrape.value("payout_leases_expired_total") == 2)
    }

    @Test func storeLockConflictsGrowByWhatIsNewInEachReport() throws {
        self.metrics.lockConflicts(StoreLockConflicts(counts: [.deadlock: 1, .lockTimeout: 2]))
        self.metrics.lockConflicts(StoreLockConflicts(counts: [.deadlock: 1, .lockTimeout: 5, .statementTimeout: 1]))

        let scrape = try self.scrape()
        #expect(scrape.types["payout_store_lock_conflicts_total"] == "counter")
        #expect(scrape.value("payout_store_lock_conflicts_total", ["kind": "deadlock"]) == 1)
        #expect(scrape.value("payout_store_lock_conflicts_total", ["kind": "lock_timeout"]) == 5)
        #expect(scrape.value("payout_store_lock_conflicts_total", ["kind": "statement_timeout"]) == 1)
        #expect(scrape.value("payout_store_lock_conflicts_total", ["kind": "serialization_failure"]) == 0)
    }

    @Test func labelsNeverCarryReferenceIDsOrPhoneNumbers() throws {
        let reference = UUID().uuidString
        self.metrics.deadLettered(reason: reference)
        self.metrics.deadLettered(reason: "231771234567")
        self.metrics.providerCallFinished(call: "execute", outcome: "+231771234567", duration: .milliseconds(1))
        self.metrics.payoutsByStatus(["\(reference)": 1])

        let text = self.metrics.render()
        let scrape = try PrometheusExposition(parsing: text)
        #expect(scrape.value("payout_dead_letters_total", ["reason": "other"]) == 2)
        #expect(
            scrape.value("payout_provider_call_duration_seconds_count", ["call": "execute", "outcome": "other"]) == 1
        )
        #expect(scrape.value("payout_payouts", ["status": "other"]) == 1)
        #expect(!text.contains(reference))
        #expect(!text.contains("1234567"))
    }

    @Test func eachInstanceHasItsOwnRegistry() throws {
        let other = WorkerMetrics()
        other.commandsConsumed(9)
        #expect(try self.scrape().value("payout_commands_consumed_total") == 0)
        #expect(try PrometheusExposition(parsing: other.render()).value("payout_commands_consumed_total") == 9)
    }

    @Test func concurrentReportsLeaveExactlyTheLastReportedSeries() async throws {
        let metrics = self.metrics
        await withTaskGroup(of: Void.self) { group in
            for round in 0..<200 {
                group.addTask {
                    metrics.consumerLag([KafkaTopicPartition(topic: "t", partition: Int32(round % 7)): Int64(round)])
                    metrics.commandsConsumed(1)
                }
            }
        }
        metrics.consumerLag([KafkaTopicPartition(topic: "t", partition: 3): 42])
        let scrape = try self.scrape()
        #expect(
            scrape.samples(named: "payout_consumer_lag") == [
                .init(name: "payout_consumer_lag", labels: ["topic": "t", "partition": "3"], value: 42)
            ]
        )
        #expect(scrape.value("payout_commands_consumed_total") == 200)
    }
}
