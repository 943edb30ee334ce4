import DollrClient
import DollrSandbox
import Foundation
import PayoutEngine
import Synchronization
import TestSupport
import Testing

/// Leases (and the 404 grace after an execute) are sized for one provider call timeout, the
/// client's request timeout. One client call may meet 429s; it never waits past that timeout.
@Suite("Dollr calls end within the provider call timeout")
struct CallDeadlineTests {
    @Test(
        "a 429 whose Retry-After ends past the timeout is returned, not waited out; the payout completes once",
        arguments: StoreKind.allCases
    )
    func rateLimitWaitsAreCutOff(kind: StoreKind) async throws {
        try await EngineHarness.run(kind) { h in
            try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 100_000, now: 0)
            // A token first, so the 429s below land on the engine's own calls.
            let phone = try PhoneNumber("231771234567")
            _ = try await h.setUp { () async throws(DollrError) in try await h.client.lookupProvider(phone: phone) }
            // Two 429s asking for 5 s each, against a 3 s request timeout: waiting one out inside
            // the call would outlive the lease the engine sized for it.
            h.server.sandbox.updateFaults {
                $0.next429 = 2
                $0.retryAfterSeconds = 5
            }
            let calls = CallRecorder()
            let reference = UUID()
            let engine = h.engine(observer: calls)
            #expect(try await engine.intake([Commands.record(reference, amount: "5.00")]).first?.isAccepted == true)
            try await h.runUntilFinal(engine, [reference])

            #expect(
                calls.outcomes.elements.contains("rate_limited"),
                "the 429 came back to the engine: \(calls.outcomes.elements)"
            )
            let execution = try #require(h.sandboxExecution(reference))
            #expect(execution.status == .completed && execution.executeCalls == 1)
        }
    }
}

final class CallRecorder: EngineObserver {
    let outcomes = Recorder<String>()
    func providerCallFinished(call: String, outcome: String, duration: Duration) { outcomes.append(outcome) }
    func payoutFinished(status: PayoutStatus, reason: PayoutReason.Code?) {}
    func ledgerMismatch(_ mismatch: LedgerMismatch, currency: String) {}
}
