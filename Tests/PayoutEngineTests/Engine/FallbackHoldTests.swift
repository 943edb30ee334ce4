import DollrClient
import DollrSandbox
import Foundation
import PayoutEngine
import TestSupport
import Testing

/// Payouts to an existing payout account are never priced by Dollr's prediction (it needs the
/// method and provider), so their holds come from the fallback fee: the case where a hold can be
/// smaller than the debit. The sandbox charges 1%, at least 10.00 LRD.
@Suite("Holds sized by the fallback fee, against the sandbox")
struct FallbackHoldTests {
    static func existingLRDAccount(_ h: EngineHarness) async throws -> Int {
        let request = CreatePaymentAccountRequest(
            accountName: "Ada",
            provider: .mtnMomoLiberia,
            method: .mtnMomoLiberia,
            partyID: 7,
            countryCode: "LR",
            accountNumber: try PhoneNumber("231771234567")
        )
        return try await h.setUp { () async throws(DollrError) in try await h.client.createPaymentAccount(request) }.id
    }

    @Test(
        "the default LRD minimum covers Dollr's fee: posted equals debited, within the hold",
        arguments: StoreKind.allCases
    )
    func defaultMinimumCoversTheFee(kind: StoreKind) async throws {
        try await EngineHarness.run(kind) { h in
            try await h.store.setWallet(id: "2", currency: "LRD", balanceMinor: 1_000_000, now: 0)
            let account = try await Self.existingLRDAccount(h)
            let mismatches = MismatchRecorder()
            let reference = UUID()
            let engine = h.engine(observer: mismatches)
            #expect(
                try await engine.intake([
                    Commands.record(reference, amount: "100.00", currency: "LRD", account: account)
                ]).first?.isAccepted == true
            )
            try await h.runUntilFinal(engine, [reference])

            let execution = try #require(h.sandboxExecution(reference))
            #expect(execution.status == .completed && execution.executeCalls == 1)
            let debited = try #require(execution.debited)
            #expect(debited == Money(minorUnits: 11_000, currency: .lrd), "100.00 + the 10.00 LRD minimum fee")
            let hold = try #require(try await h.store.hold(referenceID: reference.uuidString.lowercased()))
            #expect(hold.amountMinor >= debited.minorUnits, "the hold covered the debit")
            #expect(hold.state == .posted && hold.settledMinor == debited.minorUnits)
            #expect(mismatches.recorded.elements.isEmpty)
        }
    }

    @Test(
        "a minimum below Dollr's fee is caught: the debit is posted as Dollr reports it, and reported",
        arguments: StoreKind.allCases
    )
    func tooLowMinimumIsReported(kind: StoreKind) async throws {
        try await EngineHarness.run(kind) { h in
            try await h.store.setWallet(id: "2", currency: "LRD", balanceMinor: 1_000_000, now: 0)
            let account = try await Self.existingLRDAccount(h)
            var policy = EngineHarness.policy()
            policy.fallbackFeeMinimums[.lrd] = 100  // 1.00 LRD: the one-size minimum of before
            let mismatches = MismatchRecorder()
            let reference = UUID()
            let engine = h.engine(policy: policy, observer: mismatches)
            #expect(
                try await engine.intake([
                    Commands.record(reference, amount: "100.00", currency: "LRD", account: account)
                ]).first?.isAccepted == true
            )
            try await h.runUntilFinal(engine, [reference])

            let hold = try #require(try await h.store.hold(referenceID: reference.uuidString.lowercased()))
            #expect(hold.amountMinor == 10_300 && hold.settledMinor == 11_000)
            let wallet = try #require(try await h.store.wallets().first { $0.currency == "LRD" })
            #expect(wallet.balanceMinor == 1_000_000 - 11_000, "the ledger follows Dollr's debit, not the hold")
            #expect(mismatches.recorded.elements == [.debitExceededHold])
        }
    }
}

final class MismatchRecorder: EngineObserver {
    let recorded = Recorder<LedgerMismatch>()
    func providerCallFinished(call: String, outcome: String, duration: Duration) {}
    func payoutFinished(status: PayoutStatus, reason: PayoutReason.Code?) {}
    func ledgerMismatch(_ mismatch: LedgerMismatch, currency: String) { recorded.append(mismatch) }
}
