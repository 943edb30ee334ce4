import DollrClient
import DollrSandbox
import Foundation
import PayoutEngine
import TestSupport
import Testing

/// REQUIRES_REVIEW is not the end: a recheck or an operator settles the payout, the hold exactly
/// once, with exactly one terminal event and an audit record.
@Suite("Review queue and resolution")
struct ReviewTests {
    /// Dollr keeps every execution PROCESSING for ten minutes of its clock, and the engine gives up
    /// polling after 150 ms: each payout lands in REQUIRES_REVIEW with its hold pending.
    static func reviewPolicy(recheckEvery interval: Int64 = 3_600_000) -> EnginePolicy {
        var policy = EngineHarness.policy()
        policy.pollBudgetMilliseconds = 150
        policy.reviewRecheckIntervalMilliseconds = interval
        return policy
    }

    static func slowDollr(_ configuration: inout SandboxConfiguration) {
        configuration.faults.processingMs = 600_000
    }

    /// Intakes one payout of 10.00 USD and runs an engine until it waits in REQUIRES_REVIEW. The
    /// engine is stopped for good then (a stopped engine does not run again).
    static func payoutInReview(_ h: EngineHarness, policy: EnginePolicy = reviewPolicy()) async throws -> String {
        let engine = h.engine(policy: policy)
        try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 100_000, now: 0)
        let reference = UUID()
        #expect(try await engine.intake([Commands.record(reference)]).first?.isAccepted == true)
        let key = reference.uuidString.lowercased()
        let running = Task { await engine.run() }
        let store = h.store
        try await eventually("in review", within: .seconds(60)) {
            (try? await store.payout(referenceID: key))?.status == .requiresReview
        }
        engine.stop()
        await running.value
        return key
    }

    static func terminalEvents(_ h: EngineHarness, _ key: String) async throws -> [StoredEvent] {
        try await h.store.events(referenceID: key).filter { [.completed, .failed, .rejected].contains($0.status) }
    }

    @Test(
        "a recheck that finds Dollr's definitive answer settles the payout as RECONCILED, hold posted, audited",
        arguments: StoreKind.allCases
    )
    func recheckSettles(kind: StoreKind) async throws {
        try await EngineHarness.run(kind, sandbox: Self.slowDollr) { h in
            let key = try await Self.payoutInReview(h, policy: Self.reviewPolicy(recheckEvery: 50))
            let queue = try await h.store.reviewQueue()
            #expect(queue.count == 1 && queue.oldestSince != nil)
            #expect(try await h.store.hold(referenceID: key)?.state == .pending, "review keeps the hold")

            h.server.sandbox.advanceClock(by: .seconds(700))  // Dollr completes it
            let engine = h.engine(policy: Self.reviewPolicy(recheckEvery: 50))
            let running = Task { await engine.run() }
            let store = h.store
            try await eventually("settled", within: .seconds(60)) {
                (try? await store.payout(referenceID: key))?.isFinal == true
            }
            engine.stop()
            await running.value

            let payout = try #require(try await h.store.payout(referenceID: key))
            #expect(payout.status == .completed && payout.reasonCode == "RECONCILED")
            let events = try await h.store.events(referenceID: key)
            #expect(Array(events.map(\.status).suffix(2)) == [.requiresReview, .completed])
            #expect(try await Self.terminalEvents(h, key).count == 1)
            #expect(try await h.store.hold(referenceID: key)?.state == .posted)
            let audit = try await h.store.auditRecords(referenceID: key, limit: 10)
            #expect(
                audit.map(\.kind) == [.recheck] && audit.first?.providerAnswer == "COMPLETED"
                    && audit.first?.statusAfter == .completed
            )
            #expect(try await h.store.reviewQueue().count == 0)
            #expect(try await h.store.resolutionCounts() == [.recheck: 1])
        }
    }

    /// The engine's refusal of a resolution, or nil if it resolved.
    static func refusal(
        _ engine: PayoutEngine,
        _ key: String,
        _ status: PayoutStatus,
        note: String = "checked",
        force: Bool = false
    ) async -> ResolutionError? {
        let reference: ReferenceID
        do { reference = try ReferenceID(parsing: key) } catch {
            Issue.record("\(error)")
            return nil
        }
        do {
            _ = try await engine.resolveReview(
                referenceID: reference,
                as: status,
                note: note,
                operator: "ada",
                force: force
            )
            return nil
        } catch { return error }
    }

    @Test("an operator resolves a payout under review; every refusal changes nothing", arguments: StoreKind.allCases)
    func operatorResolution(kind: StoreKind) async throws {
        try await EngineHarness.run(kind, sandbox: Self.slowDollr) { h in
            let key = try await Self.payoutInReview(h)
            let engine = h.engine(policy: Self.reviewPolicy())
            let before = try #require(try await h.store.payout(referenceID: key))

            #expect(await Self.refusal(engine, key, .pending) == .unsupportedStatus("PENDING"))
            #expect(await Self.refusal(engine, key, .completed, note: "  ") == .missingNote)
            let unknown = UUID().uuidString.lowercased()
            #expect(await Self.refusal(engine, unknown, .completed) == .notFound(referenceID: unknown))
            // Dollr completes it; the operator says FAILED: refused, both answers named.
            h.server.sandbox.advanceClock(by: .seconds(700))
            let contradiction = await Self.refusal(engine, key, .failed)
            #expect(contradiction == .contradictsDollr(referenceID: key, requested: "FAILED", dollr: "COMPLETED"))
            #expect(contradiction?.description.contains("--force") == true)
            // Someone else holds it (a recheck in progress): refused as busy.
            let claim = try await h.store.claimForResolution(
                referenceID: key,
                owner: "other",
                leaseMilliseconds: 60_000,
                now: StoreClock.system.now()
            )
            guard case .claimed(let claimed) = claim, claimed.leaseOwner == "other" else {
                Issue.record("expected the payout claimed by other, got \(claim)")
                return
            }
            if case .busy(_, let owner)? = await Self.refusal(engine, key, .completed) {
                #expect(owner == "other")
            } else {
                Issue.record("expected busy")
            }
            try await h.store.releaseLease(referenceID: key, owner: "other")
            let unchanged = try #require(try await h.store.payout(referenceID: key))
            #expect(unchanged.status == before.status && unchanged.sequence == before.sequence)
            #expect(try await h.store.hold(referenceID: key)?.state == .pending)
            #expect(try await h.store.auditRecords(referenceID: key, limit: 10).isEmpty)

            // Forced: the operator's FAILED stands over Dollr's COMPLETED, and the audit says so.
            let audit = try await engine.resolveReview(
                referenceID: try ReferenceID(parsing: key),
                as: .failed,
                note: "bank statement shows no debit",
                operator: "ada",
                force: true
            )
            #expect(
                audit.forced && audit.providerAnswer == "COMPLETED" && audit.ledger == "voided"
                    && audit.statusBefore == .requiresReview
            )
            let payout = try #require(try await h.store.payout(referenceID: key))
            #expect(payout.status == .failed && payout.reasonCode == "OPERATOR_RESOLVED" && payout.isFinal)
            #expect(try await h.store.hold(referenceID: key)?.state == .voided)
            #expect(try await Self.terminalEvents(h, key).map(\.status) == [.failed])
            let records = try await h.store.auditRecords(referenceID: key, limit: 10)
            #expect(
                records.count == 1 && records[0].actor == "ada" && records[0].note == "bank statement shows no debit"
                    && records[0].id > 0
            )
            #expect(await Self.refusal(engine, key, .completed) == .notUnderReview(referenceID: key, status: .failed))
            #expect(try await h.store.resolutionCounts() == [.operator: 1])
        }
    }

    @Test(
        "two operators at the same moment, and an operator racing the recheck: the hold is settled once",
        arguments: StoreKind.allCases
    )
    func racesSettleOnce(kind: StoreKind) async throws {
        try await EngineHarness.run(kind, sandbox: Self.slowDollr) { h in
            // Two operators, Dollr still PROCESSING: no contradiction, only one may win.
            let first = try await Self.payoutInReview(h)
            let engine = h.engine(policy: Self.reviewPolicy())
            async let a = Result {
                try await engine.resolveReview(
                    referenceID: try ReferenceID(parsing: first),
                    as: .completed,
                    note: "a",
                    operator: "ada",
                    force: false
                )
            }
            async let b = Result {
                try await engine.resolveReview(
                    referenceID: try ReferenceID(parsing: first),
                    as: .failed,
                    note: "b",
                    operator: "bob",
                    force: false
                )
            }
            let outcomes = await [a, b]
            #expect(outcomes.filter { (try? $0.get()) != nil }.count == 1, "one resolution wins: \(outcomes)")
            let winner = try #require(outcomes.compactMap { try? $0.get() }.first)
            #expect(try await Self.terminalEvents(h, first).map(\.status) == [winner.statusAfter])
            #expect(
                try await h.store.hold(referenceID: first)?.state
                    == (winner.statusAfter == .completed ? .posted : .voided)
            )
            #expect(try await h.store.auditRecords(referenceID: first, limit: 10).count == 1)

            // An operator racing a recheck that finds Dollr's COMPLETED.
            let second = try await Self.payoutInReview(h, policy: Self.reviewPolicy(recheckEvery: 1))
            h.server.sandbox.advanceClock(by: .seconds(700))
            let racing = h.engine(policy: Self.reviewPolicy(recheckEvery: 1))
            let running = Task { await racing.run() }
            let operatorResult = await Result {
                try await racing.resolveReview(
                    referenceID: try ReferenceID(parsing: second),
                    as: .completed,
                    note: "seen in Dollr's dashboard",
                    operator: "ada",
                    force: false
                )
            }
            let store = h.store
            try await eventually("settled", within: .seconds(60)) {
                (try? await store.payout(referenceID: second))?.isFinal == true
            }
            racing.stop()
            await running.value
            #expect(try await Self.terminalEvents(h, second).map(\.status) == [.completed])
            #expect(try await h.store.hold(referenceID: second)?.state == .posted)
            let records = try await h.store.auditRecords(referenceID: second, limit: 10)
            #expect(records.count == 1, "one resolution recorded: \(records.map(\.kind)), operator: \(operatorResult)")
            let wallet = try #require(try await h.store.wallets().first)
            #expect(wallet.heldMinor == 0)
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
