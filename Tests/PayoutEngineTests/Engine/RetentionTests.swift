import DollrClient
import Foundation
import PayoutEngine
import TestSupport
import Testing

/// Retention against real payouts: a terminal payout's recipient details leave the store, and
/// idempotency does not notice.
@Suite("Retention of terminal payouts")
struct RetentionTests {
    @Test(
        "scrubbing a terminal payout's recipient keeps duplicates duplicates and conflicts conflicts",
        arguments: StoreKind.allCases
    )
    func scrubKeepsIdempotency(kind: StoreKind) async throws {
        try await EngineHarness.run(kind) { h in
            try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 100_000, now: 0)
            let done = UUID()
            let running = UUID()
            let engine = h.engine()
            _ = try await engine.intake([Commands.record(done, name: "Grace Hopper")])
            try await h.runUntilFinal(engine, [done])
            // Accepted, never advanced.
            _ = try await h.engine().intake([Commands.record(running, name: "Alan Turing")])
            let key = done.uuidString.lowercased()
            let before = try #require(try await h.store.payout(referenceID: key))
            #expect(before.state.contains("Grace Hopper"))

            var policy = RetentionPolicy()
            policy.recipientDetailsMilliseconds = 0
            let pruner = StorePruner(store: h.store, policy: policy, logger: quietLogger)
            let now = StoreClock.system.now() + 1
            #expect(try await pruner.prune(now: now, dryRun: true).scrubbed == 1, "only the terminal payout")
            #expect(try await pruner.prune(now: now).scrubbed == 1)
            #expect(try await pruner.prune(now: now).scrubbed == 0, "once")

            let after = try #require(try await h.store.payout(referenceID: key))
            #expect(
                !after.state.contains("Grace Hopper") && !after.state.contains("231771234567")
                    && !after.state.contains("\"recipient\"")
            )
            #expect(
                after.fingerprint == before.fingerprint && after.status == .completed
                    && after.amountMinor == before.amountMinor
            )
            #expect(
                try await h.store.payout(referenceID: running.uuidString.lowercased())?.state.contains("Alan Turing")
                    == true,
                "a payout in flight keeps its recipient"
            )

            let again = try await h.engine().intake([Commands.record(done, name: "Grace Hopper")])
            #expect(again == [.duplicate(referenceID: ReferenceID(done), latestStatus: .completed)])
            let conflicting = try await h.engine().intake([Commands.record(done, amount: "11.00", name: "Grace Hopper")]
            )
            #expect(conflicting == [.conflict(referenceID: ReferenceID(done))])
            #expect(h.sandboxExecution(done)?.executeCalls == 1, "never a second execution")
        }
    }
}
