import DollrClient
import DollrSandbox
import Foundation
import LocalPostgres
import Logging
import PayoutEngine
import TestSupport
import Testing

/// `payouts list`, `payouts resolve` and `audit list`, run as the real binary against a store
/// holding payouts under review and a sandbox on loopback, on SQLite and on PostgreSQL.
private let quietLogger = Logger(label: "review-cli-tests") { _ in SwiftLogNoOpLogHandler() }

@Suite("payout-worker payouts resolve, payouts list and audit list")
struct ReviewCommandTests {
    enum Kind: String, CaseIterable { case sqlite, postgres }

    @Test(
        "the review queue is listed, a contradicting resolution refused, a resolution audited, a second refused; store prune scrubs it",
        arguments: Kind.allCases
    )
    func resolveFromTheCommandLine(kind: Kind) async throws {
        var sandboxConfiguration = SandboxConfiguration(seed: 5)
        sandboxConfiguration.faults.pendingMs = 10
        sandboxConfiguration.faults.processingMs = 600_000  // PROCESSING for ten minutes of Dollr's clock
        let sandbox = try await SandboxServer.start(configuration: sandboxConfiguration, logger: quietLogger)
        let scratch = try StoreCommandTests.ScratchStore(named: "payout-review")
        defer { scratch.remove() }
        let storeURL = kind == .sqlite ? scratch.url : try await LocalPostgresServer.shared.createDatabase()
        let store = try await PayoutStoreFactory.open(url: storeURL, logger: quietLogger)
        try await store.migrate()
        try await store.setWallet(id: "1", currency: "USD", balanceMinor: 100_000, now: 0)
        let client = DollrClient(
            configuration: DollrConfiguration(baseURL: sandbox.baseURL, credentials: sandboxConfiguration.merchant),
            logger: quietLogger
        )

        // Two payouts driven into REQUIRES_REVIEW by an engine whose polling budget is 150 ms.
        var configuration = EngineConfiguration(owner: "test-engine")
        configuration.policy.pollInitialDelayMilliseconds = 15
        configuration.policy.pollMaximumDelayMilliseconds = 50
        configuration.policy.pollBudgetMilliseconds = 150
        configuration.idleCheck = .milliseconds(10)
        let engine = PayoutEngine(store: store, dollr: client, configuration: configuration, logger: quietLogger)
        let references = [UUID(), UUID()].map { $0.uuidString.lowercased() }
        _ = try await engine.intake(references.map { Self.record($0) })
        let running = Task { await engine.run() }
        try await eventually("both in review", within: .seconds(60)) {
            for reference in references
            where (try? await store.payout(referenceID: reference))?.status != .requiresReview { return false }
            return true
        }
        engine.stop()
        await running.value

        let environment = ["PAYOUT_STORE_URL": storeURL, "DOLLR_BASE_URL": sandbox.baseURL.absoluteString]
        let queue = try await Self.run(["payouts", "list", "--status", "REQUIRES_REVIEW"], environment)
        #expect(queue.status == 0, "\(queue.stderr)")
        #expect(
            queue.stdout.first.map(StoreCommandTests.cells) == [
                "REFERENCE_ID", "STATUS", "WAITING", "AMOUNT", "HELD", "DOLLR", "CREATED",
            ]
        )
        let rows = queue.stdout.dropFirst().map(StoreCommandTests.cells)
        #expect(Set(rows.map { $0.first ?? "" }) == Set(references))
        for row in rows {
            #expect(Array(row.dropFirst().prefix(1)) == ["REQUIRES_REVIEW"], "\(row)")
            #expect(Array(row.dropFirst(3).prefix(3)) == ["10.00 USD", "10.10 USD", "PROCESSING"], "\(row)")
        }

        let json = try await Self.run(["payouts", "list", "--json"], environment)
        #expect(json.status == 0, "\(json.stderr)")
        let listed = try #require(
            try JSONSerialization.jsonObject(with: Data(json.stdout.joined(separator: "\n").utf8)) as? [[String: Any]]
        )
        #expect(listed.count == 2)
        for entry in listed {
            #expect(entry["status"] as? String == "REQUIRES_REVIEW" && entry["held"] as? String == "10.10", "\(entry)")
        }

        sandbox.sandbox.advanceClock(by: .seconds(700))  // Dollr completes both
        let target = references[0]
        let contradicting = try await Self.run(
            ["payouts", "resolve", target, "--as", "FAILED", "--note", "no debit seen", "--operator", "ada"],
            environment
        )
        #expect(contradicting.status == 1)
        #expect(
            contradicting.stderr.contains("Dollr says payout \(target) is COMPLETED, you asked for FAILED"),
            "\(contradicting.stderr)"
        )
        #expect(contradicting.stderr.contains("--force"))
        #expect(try await store.payout(referenceID: target)?.status == .requiresReview, "a refusal changes nothing")

        let resolved = try await Self.run(
            [
                "payouts", "resolve", target, "--as", "COMPLETED", "--note", "matches Dollr's ledger", "--operator",
                "ada",
            ],
            environment
        )
        #expect(resolved.status == 0, "\(resolved.stderr)")
        #expect(
            resolved.stdout == [
                "resolved \(target) as COMPLETED (Dollr: COMPLETED); hold posted 1010; audit record written"
            ]
        )
        let payout = try #require(try await store.payout(referenceID: target))
        #expect(payout.status == .completed && payout.reasonCode == "OPERATOR_RESOLVED" && payout.isFinal)
        #expect(try await store.hold(referenceID: target)?.state == .posted)
        let events = try await store.events(referenceID: target)
        #expect(
            Array(events.map(\.status).suffix(2)) == [.requiresReview, .completed],
            "one terminal event, after the review"
        )

        let again = try await Self.run(
            ["payouts", "resolve", target, "--as", "COMPLETED", "--note", "twice"],
            environment
        )
        #expect(again.status == 1)
        #expect(
            again.stderr.contains("payout \(target) is COMPLETED; only REQUIRES_REVIEW payouts can be resolved"),
            "\(again.stderr)"
        )

        let audit = try await Self.run(["audit", "list", "--reference-id", target], environment)
        #expect(audit.status == 0, "\(audit.stderr)")
        let records = audit.stdout.dropFirst().map(StoreCommandTests.cells)
        #expect(records.count == 1)
        #expect(
            Array(records.first?.dropFirst(3).prefix(5) ?? []) == [
                "ada", "REQUIRES_REVIEW", "COMPLETED", "COMPLETED", "posted 1010",
            ],
            "\(records)"
        )
        #expect(records.first?.last == "matches Dollr's ledger")
        let shown = try await Self.run(["payouts", "show", target], environment)
        #expect(shown.status == 0, "\(shown.stderr)")
        let auditLines = Array(shown.stdout.drop { $0 != "audit" }.dropFirst(2)).map(StoreCommandTests.cells)
        #expect(
            auditLines.count == 1 && Array(auditLines[0].dropFirst().prefix(3)) == ["ada", "COMPLETED", "COMPLETED"],
            "\(shown.stdout)"
        )

        // Retention: the resolved payout is terminal, so its recipient goes; nothing else is due.
        let pruneEnvironment = environment.merging(["PAYOUT_RETENTION_PII_DAYS": "0"]) { _, new in new }
        let dryRun = try await Self.run(["store", "prune", "--dry-run"], pruneEnvironment)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(
            dryRun.stdout.map(StoreCommandTests.cells) == [
                ["WHAT", "WOULD GO"], ["outbox", "0"], ["payout_events", "0"], ["intake_sources", "0"],
                ["recipient details", "1"],
            ]
        )
        #expect(
            try await store.payout(referenceID: target)?.state.contains("Ada Lovelace") == true,
            "a dry run changes nothing"
        )
        let pruned = try await Self.run(["store", "prune"], pruneEnvironment)
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stdout.last.map(StoreCommandTests.cells) == ["recipient details", "1"])
        #expect(try await store.payout(referenceID: target)?.state.contains("Ada Lovelace") == false)
        #expect(
            try await store.payout(referenceID: references[1])?.state.contains("Ada Lovelace") == true,
            "under review: kept"
        )

        try await client.shutdown()
        await store.close()
        await sandbox.stop()
    }

    static func run(_ arguments: [String], _ environment: [String: String]) async throws -> StoreCommandTests.Outcome {
        let child = try ChildProcess(ChildProcess.payoutWorkerBinary, arguments: arguments, environment: environment)
        let status = try await child.waitForExit()
        return StoreCommandTests.Outcome(status: status, stdout: child.stdoutLines.elements, stderr: child.stderr)
    }

    static func record(_ reference: String) -> IntakeRecord {
        let json =
            #"{"reference_id":"\#(reference)","amount":"10.00","currency":"USD","recipient":{"account_name":"Ada Lovelace","party_id":42,"phone":"231771234567","provider":"MTN_MOMO_LBR","method":"MTN_MOMO_LBR","country_code":"LR"}}"#
        return IntakeRecord(key: Array(reference.utf8), value: Array(json.utf8))
    }

}
