import DollrClient
import DollrSandbox
import Foundation
import PayoutEngine
import PropertyBased
import TestSupport
import Testing

/// Generated records, valid and broken, through intake against a real store and the sandbox, with
/// an engine running until every valid payout is final: the broken ones leave no payout and reach
/// Dollr never; each is answered REJECTED (usable reference_id) or left for the dead-letter path.
@Suite("Payout engine: fuzzed intake")
struct FuzzedIntakeTests {
    @Test("broken records never become payouts or reach Dollr; each gets a REJECTED event or goes to dead letters")
    func fuzzedBatch() async throws {
        let generator = Gen<CommandRecordCase>.frequency(
            (1, CommandRecordCase.valid),
            (4, CommandRecordCase.invalid(parts: 1...3))
        )
        let cases = SeededProperty.values(of: generator, count: 200, seed: 6)
        try await EngineHarness.run(.sqlite) { h in
            // Wallets that cover every generated amount, so valid payouts really execute.
            try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 100_000_000_000, now: 0)
            try await h.store.setWallet(id: "2", currency: "LRD", balanceMinor: 100_000_000_000, now: 0)
            let engine = h.engine()
            let results = try await engine.intake(cases.map(\.record))
            #expect(results.count == cases.count)

            var validReferences: [UUID] = []
            for (record, result) in zip(cases, results) {
                switch (record.expectation, result) {
                case (.command(let command), .accepted(let reference)) where reference == command.referenceID:
                    validReferences.append(reference.uuid)
                case (.refused(let outcomes, let reference), .rejected(let rejected, let rejection)):
                    #expect(!outcomes.contains { if case .unidentified = $0 { true } else { false } }, "\(record)")
                    #expect(rejected == reference && rejection.referenceID == reference, "\(record)")
                case (.refused(let outcomes, _), .invalid(let rejection)):
                    #expect(outcomes.contains { if case .unidentified = $0 { true } else { false } }, "\(record)")
                    #expect(rejection.referenceID == nil, "\(record)")
                default:
                    Issue.record("unexpected \(result) for \(record)")
                }
            }
            #expect(validReferences.count >= 20, "the batch exercises the happy path too")
            try await h.runUntilFinal(h.engine(), validReferences)

            for record in cases {
                guard case .refused(_, let referenceID) = record.expectation else { continue }
                let (reference, key) = (referenceID.uuid, referenceID.text)
                #expect(try await h.store.payout(referenceID: key) == nil, "no payout for \(record)")
                #expect(h.sandboxExecution(reference) == nil, "Dollr never called for \(record)")
                let events = try await h.store.events(referenceID: key)
                #expect(events.allSatisfy { $0.status == .rejected && $0.sequence == 0 }, "\(record)")
                #expect(events.allSatisfy { $0.payload.contains(#""code":"VALIDATION_ERROR""#) }, "\(record)")
            }
            let executed = validReferences.filter { h.sandboxExecution($0) != nil }
            #expect(!executed.isEmpty, "valid payouts of the same batch did reach Dollr")
        }
    }
}
