import DollrClient
import DollrSandbox
import Foundation
import PayoutEngine
import Synchronization
import TestSupport
import Testing

@Suite("Payout engine against the sandbox")
struct PayoutEngineTests {
    @Test(
        "a payout runs to COMPLETED: held, executed once, posted with what Dollr debited",
        arguments: StoreKind.allCases
    )
    func happyPath(kind: StoreKind) async throws {
        try await EngineHarness.run(kind) { h in
            try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 100_000, now: 0)
            let reference = UUID()
            let results = try await h.engine().intake([Commands.record(reference, amount: "25.00")])
            #expect(results == [.accepted(referenceID: ReferenceID(reference))])
            try await h.runUntilFinal(h.engine(), [reference])

            let events = try await h.store.events(referenceID: reference.uuidString.lowercased())
            #expect(events.first?.status == .accepted && events.last?.status == .completed)
            #expect(events.map(\.sequence) == Array(1...events.count), "sequences are gapless and ordered")
            #expect(events.allSatisfy { !$0.payload.contains("231771234567") }, "no phone number in an event")
            let execution = try #require(h.sandboxExecution(reference))
            #expect(execution.executeCalls == 1 && execution.status == .completed)
            let debited = try #require(execution.debited)
            #expect(debited == Money(minorUnits: 2_525, currency: .usd), "25.00 + 1% fee")
            let hold = try #require(try await h.store.hold(referenceID: reference.uuidString.lowercased()))
            #expect(hold.state == .posted && hold.settledMinor == debited.minorUnits)
            let wallet = try #require(try await h.store.wallets().first)
            #expect(wallet.balanceMinor == 100_000 - 2_525 && wallet.heldMinor == 0)
            let last = events.last!.payload
            #expect(
                last.contains(#""amount":"25.00""#) && last.contains(#""status":"COMPLETED""#)
                    && last.contains(#""reason":null"#)
            )
        }
    }

    @Test(
        "a worker whose lease ran out is fenced, even when its successor runs under the same name",
        arguments: StoreKind.allCases
    )
    func staleLeaseIsFencedUnderTheSameName(kind: StoreKind) async throws {
        try await EngineHarness.run(kind) { h in
            try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 100_000, now: 0)
            let reference = UUID()
            #expect(try await h.engine().intake([Commands.record(reference, amount: "5.00")]).first?.isAccepted == true)
            // The slow one: it created a session, then stalls before committing it, past its lease.
            let stalled = Recorder<Bool>()
            let resume = Recorder<Bool>()
            // A long lease, so that on a loaded machine the slow worker never gives the payout up
            // on its own ("lease too short for the next call") before it reaches the stall.
            let slow = h.engine(owner: "worker-1", leaseMilliseconds: 30_000) { point, phase, _ in
                guard point == .afterCall, phase == .accountReady, stalled.elements.isEmpty else { return }
                stalled.append(true)
                await resume.wait { !$0.isEmpty }
            }
            let slowRun = Task { try await slow.drainDue() }
            try await withDeadline(.seconds(30), "the slow worker stalled") { await stalled.wait { !$0.isEmpty } }
            // Its successor, same worker name (a restarted pod), sees the lease expired, takes the
            // payout and executes it; it still holds the lease when the slow one wakes up.
            let executed = Recorder<Bool>()
            let finish = Recorder<Bool>()
            let successor = h.engine(owner: "worker-1", clockOffset: 40_000) { point, phase, _ in
                guard point == .afterCall, phase == .executing, executed.elements.isEmpty else { return }
                executed.append(true)
                await finish.wait { !$0.isEmpty }
            }
            let successorRun = Task { try await successor.drainDue() }
            try await withDeadline(.seconds(30), "the successor executed") { await executed.wait { !$0.isEmpty } }
            resume.append(true)
            _ = try await slowRun.value
            finish.append(true)
            _ = try await successorRun.value
            try await h.runUntilFinal(h.engine(owner: "worker-1", clockOffset: 120_000), [reference])
            // The slow worker's late commit was refused, so it never executed the payout a second time.
            let execution = try #require(h.sandboxExecution(reference))
            #expect(
                execution.executeCalls == 1 && execution.duplicateExecuteCalls == 0,
                "refused: \(execution.refusals)"
            )
            #expect(try await h.store.payout(referenceID: reference.uuidString.lowercased())?.status == .completed)
        }
    }

    @Test(
        "a payout that waited in its worker until its lease is shorter than a call renews the lease and goes on",
        arguments: StoreKind.allCases
    )
    func waitingPayoutRenewsItsLease(kind: StoreKind) async throws {
        try await EngineHarness.run(kind) { h in
            try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 100_000, now: 0)
            let reference = UUID()
            #expect(try await h.engine().intake([Commands.record(reference, amount: "5.00")]).first?.isAccepted == true)
            // After its first commit the payout "waits" 1.5 s on the engine's clock: its 4 s lease
            // then has less left than the 3 s a call may take.
            let waited = Locked<Int64>(0)
            let clock = StoreClock { StoreClock.system.now() + waited.value }
            let leases = LeaseCounter()
            let expiries = Recorder<Int64>()
            let owners = Recorder<String>()
            let store = h.store
            let key = reference.uuidString.lowercased()
            let engine = h.engine(
                clock: clock,
                leaseMilliseconds: 4_000,
                observer: leases,
                callTimeoutMilliseconds: 3_000
            ) { point, _, _ in
                if point == .afterCall, let leased = try await store.payout(referenceID: key),
                    let expiry = leased.leaseExpiresAt
                {
                    expiries.append(expiry)
                    owners.append(leased.leaseOwner ?? "")
                }
                guard point == .afterCommit else { return }
                waited.withLock { if $0 == 0 { $0 = 1_500 } }
            }
            try await h.runUntilFinal(engine, [reference])
            let payout = try #require(try await h.store.payout(referenceID: key))
            #expect(payout.status == .completed)
            #expect(leases.expired.value == 0 && leases.lost.value == 0, "the payout was never left")
            // The calls before and after the wait ran under one claim, not a second one after the lease ran out.
            #expect(owners.elements.count >= 2 && owners.elements[0] == owners.elements[1], "\(owners.elements)")
            let first = try #require(expiries.elements.first)
            #expect(
                expiries.elements.contains { $0 - first >= 1_500 },
                "the lease was renewed past the wait: \(expiries.elements)"
            )
            #expect(h.sandboxExecution(reference)?.executeCalls == 1)
        }
    }

    @Test("every reason code is reached, each before or without a second execution", arguments: StoreKind.allCases)
    func reasonCodes(kind: StoreKind) async throws {
        try await EngineHarness.run(kind) { h in
            let engine = h.engine()  // for intake and health; each payout runs on a fresh engine (stop() is final)
            var lastRunner = h.engine()
            func pay(_ record: IntakeRecord, _ reference: UUID) async throws -> StoredPayout {
                #expect(try await engine.intake([record]).first?.isAccepted == true)
                lastRunner = h.engine()
                try await h.runUntilFinal(lastRunner, [reference])
                return try #require(try await h.store.payout(referenceID: reference.uuidString.lowercased()))
            }

            // No LRD wallet declared: the default policy fails it before Dollr hears of it.
            let unknown = UUID()
            var payout = try await pay(Commands.record(unknown, amount: "500.00", currency: "LRD"), unknown)
            #expect(payout.status == .failed && payout.reasonCode == "WALLET_BALANCE_UNKNOWN")
            #expect(h.sandboxExecution(unknown) == nil)

            try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 100, now: 0)
            let poor = UUID()
            payout = try await pay(Commands.record(poor, amount: "5.00"), poor)
            #expect(payout.reasonCode == "INSUFFICIENT_FUNDS" && h.sandboxExecution(poor) == nil)
            #expect(try await h.store.hold(referenceID: poor.uuidString.lowercased()) == nil)

            try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 1_000_000, now: 0)
            h.server.sandbox.merchantVerified = false
            let unverified = UUID()
            payout = try await pay(Commands.record(unverified), unverified)
            #expect(
                payout.reasonCode == "MERCHANT_NOT_VERIFIED" && lastRunner.health.merchantNotVerified
                    && lastRunner.health.isDegraded
            )
            #expect(try await h.store.hold(referenceID: unverified.uuidString.lowercased())?.state == .voided)
            h.server.sandbox.merchantVerified = true

            h.server.sandbox.updateFaults { $0.pProviderFailed = 1 }
            let failing = UUID()
            payout = try await pay(Commands.record(failing), failing)
            #expect(payout.reasonCode == "PROVIDER_FAILED" && h.sandboxExecution(failing)?.executeCalls == 1)
            #expect(try await h.store.hold(referenceID: failing.uuidString.lowercased())?.state == .voided)
            h.server.sandbox.updateFaults { $0.pProviderFailed = 0 }

            let noAccount = UUID()
            payout = try await pay(Commands.record(noAccount, account: 987_654), noAccount)
            #expect(payout.reasonCode == "PROVIDER_REJECTED" && h.sandboxExecution(noAccount) == nil)

            // A wrong passcode in the worker's configuration.
            var credentials = h.server.sandbox.configuration.merchant
            credentials.passcode = Secret("000000")
            let badClient = DollrClient(
                configuration: DollrConfiguration(baseURL: h.server.baseURL, credentials: credentials),
                logger: quietLogger
            )
            let wrongPasscode = UUID()
            let badEngine = h.engine(client: badClient)
            do {
                #expect(try await badEngine.intake([Commands.record(wrongPasscode)]).first?.isAccepted == true)
                try await h.runUntilFinal(badEngine, [wrongPasscode])
            } catch {
                try? await badClient.shutdown()  // else AsyncHTTPClient's deinit check hides the failure
                throw error
            }
            try await badClient.shutdown()
            payout = try #require(try await h.store.payout(referenceID: wrongPasscode.uuidString.lowercased()))
            #expect(payout.reasonCode == "PASSCODE_REJECTED" && badEngine.health.passcodeRejected)

            // Invalid but answerable: REJECTED as event 0, and the reference_id stays free.
            let invalid = UUID()
            let rejected = try await engine.intake([Commands.record(invalid, amount: "-1")])
            guard case .rejected(let id, let rejection)? = rejected.first else {
                Issue.record("expected a rejection")
                return
            }
            #expect(id == ReferenceID(invalid) && rejection.field == "amount")
            #expect(try await h.statuses(invalid) == ["REJECTED"])
            #expect(try await h.store.payout(referenceID: invalid.uuidString.lowercased()) == nil)
            #expect(
                try await engine.intake([Commands.record(invalid)]).first?.isAccepted == true,
                "a corrected command is accepted"
            )
        }
    }

    @Test(
        "duplicates: identical ones cause nothing new, conflicting ones leave the original alone",
        arguments: StoreKind.allCases
    )
    func duplicates(kind: StoreKind) async throws {
        try await EngineHarness.run(kind) { h in
            try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 1_000_000, now: 0)
            let engine = h.engine()
            let reference = UUID()
            // 50 identical commands racing through intake from separate tasks.
            let results = try await withThrowingTaskGroup(of: [IntakeResult].self) { group in
                for _ in 0..<50 { group.addTask { try await engine.intake([Commands.record(reference)]) } }
                return try await group.reduce(into: [IntakeResult]()) { $0 += $1 }
            }
            #expect(results.filter(\.isAccepted).count == 1)
            #expect(results.filter { if case .duplicate = $0 { true } else { false } }.count == 49)
            try await h.runUntilFinal(engine, [reference])
            #expect(h.sandboxExecution(reference)?.executeCalls == 1)

            // After completion: an identical duplicate re-emits COMPLETED; a different amount is a conflict.
            let before = try await h.store.outboxBacklog()
            #expect(
                try await engine.intake([Commands.record(reference)]) == [
                    .duplicate(referenceID: ReferenceID(reference), latestStatus: .completed)
                ]
            )
            #expect(try await h.store.outboxBacklog() == before + 1)
            #expect(
                try await engine.intake([Commands.record(reference, amount: "11.00")]) == [
                    .conflict(referenceID: ReferenceID(reference))
                ]
            )
            let payout = try #require(try await h.store.payout(referenceID: reference.uuidString.lowercased()))
            #expect(payout.amountMinor == 1_000 && payout.status == .completed)
            #expect(h.sandboxExecution(reference)?.executeCalls == 1)
        }
    }

    @Test("200 concurrent payouts of 1-5 against a wallet of 100 never overdraw it", arguments: StoreKind.allCases)
    func noOverdraw(kind: StoreKind) async throws {
        try await EngineHarness.run(kind) { h in
            // The sandbox wallet and our declared balance agree: Dollr itself would fail an overdraft.
            _ = h.server.sandbox.setWalletBalance(Money(minorUnits: 10_000, currency: .usd))
            try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 10_000, now: 0)
            let references = (0..<200).map { _ in UUID() }
            let records = references.enumerated().map { Commands.record($1, amount: "\($0 % 5 + 1).00") }
            let first = h.engine()
            let second = h.engine()
            #expect(try await first.intake(records).allSatisfy(\.isAccepted))
            // Two engines share the store, as two worker processes would.
            let other = Task { await second.run() }
            try await h.runUntilFinal(first, references, within: .seconds(120))
            second.stop()
            await other.value

            let ledger = h.server.sandbox.ledgerSnapshot()
            let sandboxDebits = ledger.executions.compactMap(\.debited).reduce(0) { $0 + $1.minorUnits }
            let sandboxBalance = try #require(ledger.wallet(.usd)).balance.minorUnits
            #expect(sandboxBalance >= 0 && sandboxBalance == 10_000 - sandboxDebits)
            #expect(
                ledger.executions.allSatisfy { $0.executeCalls == 1 && $0.status != .failed },
                "Dollr never had to refuse for funds"
            )
            let wallet = try #require(try await h.store.wallets().first)
            #expect(wallet.balanceMinor == sandboxBalance, "our ledger and Dollr's agree")
            #expect(wallet.heldMinor == 0 && wallet.availableMinor >= 0)
            let counts = try await h.store.countsByStatus()
            #expect(counts[.completed, default: 0] + counts[.failed, default: 0] == 200)
            #expect(counts[.completed, default: 0] == ledger.executions.count)
        }
    }

    @Test(
        "a crash at any recovery point is resumed by another engine with at most one execution",
        arguments: StoreKind.allCases
    )
    func crashAtEveryRecoveryPoint(kind: StoreKind) async throws {
        try await EngineHarness.run(kind) { h in
            try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 10_000_000, now: 0)
            // A dry run counts the recovery points a payout passes through.
            let points = Recorder<String>()
            let counting = h.engine { point, phase, _ in points.append("\(point)@\(phase)") }
            let dry = UUID()
            _ = try await counting.intake([Commands.record(dry)])
            try await h.runUntilFinal(counting, [dry])
            let total = points.elements.count
            #expect(total >= 12, "passes through every step: \(points.elements)")

            for crashAt in 1...total {
                let reference = UUID()
                let hits = Mutex(0)
                let crashing = h.engine(leaseMilliseconds: 5_000) { _, _, _ in
                    let hit = hits.withLock {
                        $0 += 1
                        return $0
                    }
                    if hit == crashAt { throw SimulatedCrash() }
                }
                #expect(try await crashing.intake([Commands.record(reference)]).first?.isAccepted == true)
                try await crashing.drainDue()  // stops dead at the chosen point, keeping its lease
                // Another worker whose clock is past the dead one's lease takes over.
                let successor = h.engine(clockOffset: 6_000)
                try await h.runUntilFinal(successor, [reference])

                let context = "crash at \(points.elements[crashAt - 1]) (#\(crashAt))"
                let statuses = try await h.statuses(reference)
                #expect(
                    statuses.filter { ["COMPLETED", "FAILED", "REQUIRES_REVIEW"].contains($0) } == ["COMPLETED"],
                    "\(context): \(statuses)"
                )
                #expect(h.sandboxExecution(reference)?.executeCalls == 1, "\(context)")
                #expect(
                    try await h.store.hold(referenceID: reference.uuidString.lowercased())?.state == .posted,
                    "\(context)"
                )
            }
        }
    }

    @Test(
        "an execute whose response is lost is resolved by polling, not by executing again",
        arguments: StoreKind.allCases
    )
    func lostExecuteResponse(kind: StoreKind) async throws {
        // The response is held 2 s, past the client's 1 s: long enough that a loaded machine still
        // sends the execute within the timeout, short enough for the test.
        try await EngineHarness.run(
            kind,
            sandbox: {
                $0.faults.pLostResponse = 1
                $0.faults.hangMs = 2_000
            },
            client: { $0.requestTimeout = .seconds(1) }
        ) { h in
            try await h.store.setWallet(id: "1", currency: "USD", balanceMinor: 1_000_000, now: 0)
            let reference = UUID()
            let engine = h.engine()
            _ = try await engine.intake([Commands.record(reference)])
            try await h.runUntilFinal(engine, [reference])
            #expect(try await h.statuses(reference).last == "COMPLETED")
            let execution = try #require(h.sandboxExecution(reference))
            #expect(execution.executeCalls == 1 && execution.status == .completed)
        }
    }
}

/// Counts the leases an engine lost or could not renew.
private final class LeaseCounter: EngineObserver {
    let lost = Locked(0)
    let expired = Locked(0)
    func providerCallFinished(call: String, outcome: String, duration: Duration) {}
    func payoutFinished(status: PayoutStatus, reason: PayoutReason.Code?) {}
    func ledgerMismatch(_ mismatch: LedgerMismatch, currency: String) {}
    func leaseLost() { lost.withLock { $0 += 1 } }
    func leaseExpired() { expired.withLock { $0 += 1 } }
}
