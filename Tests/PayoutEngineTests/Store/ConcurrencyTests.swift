import PayoutEngine
import TestSupport
import Testing

extension PayoutStoreConformance {
    /// 50 tasks accept the same command at once: exactly one records it.
    @Test(arguments: StoreKind.allCases)
    func concurrentAcceptOfOneReference(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let stores = [fixture.store, try await fixture.another()]
            let outcomes = try await withThrowingTaskGroup(of: [IntakeOutcome].self) { group in
                for index in 0..<50 {
                    let store = stores[index % stores.count]
                    group.addTask { try await store.accept([command("same")], now: t0) }
                }
                return try await group.reduce(into: [IntakeOutcome]()) { $0 += $1 }
            }
            await stores[1].close()
            #expect(outcomes.filter { $0 == .accepted }.count == 1)
            #expect(outcomes.filter { $0 == .duplicate(latestStatus: .accepted) }.count == 49)
            #expect(try await fixture.store.events(referenceID: "same").count == 1)
            #expect(try await fixture.store.outboxBacklog() == 50)
        }
    }

    /// 8 claimers (over two stores) race over 500 due payouts: each is claimed exactly once.
    @Test(arguments: StoreKind.allCases)
    func concurrentClaimersNeverShareAPayout(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let refs = (0..<500).map { "cl-\($0)" }
            for start in stride(from: 0, to: refs.count, by: 100) {
                _ = try await fixture.store.accept(refs[start..<start + 100].map { command($0) }, now: t0)
            }
            let stores = [fixture.store, try await fixture.another()]
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for claimer in 0..<8 {
                    let store = stores[claimer % stores.count]
                    group.addTask {
                        var mine: [String] = []
                        while true {
                            let batch = try await store.claimDue(
                                owner: "c-\(claimer)",
                                limit: 7,
                                leaseMilliseconds: 10 * minute,
                                now: t0
                            )
                            if batch.isEmpty { return mine }
                            #expect(batch.allSatisfy { $0.leaseOwner == "c-\(claimer)" })
                            mine += batch.map(\.referenceID)
                        }
                    }
                }
                return try await group.reduce(into: [[String]]()) { $0.append($1) }
            }
            // PostgreSQL's SKIP LOCKED may answer "nothing" to a claimer while others hold locks;
            // whatever a claimer left is still claimable, once, afterwards.
            let leftovers = try await fixture.store.claimDue(
                owner: "sweeper",
                limit: 1_000,
                leaseMilliseconds: minute,
                now: t0
            ).map(\.referenceID)
            await stores[1].close()
            let all = claims.flatMap { $0 } + leftovers
            #expect(all.count == refs.count)
            #expect(Set(all) == Set(refs))
            #expect(claims.filter { !$0.isEmpty }.count > 1)
        }
    }

    /// Jepsen-style bank check: a wallet of 100.00 and 200 payouts of 1.00–5.00 racing through
    /// claim → commit(.hold) in their own tasks over two stores. The holds admitted never exceed
    /// the balance and available never goes negative (also sampled while the race runs); then
    /// posting and voiding conserves money: balance after = balance before − posted debits.
    @Test(arguments: StoreKind.allCases)
    func holdsNeverOverdrawTheWallet(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let balance: Int64 = 10_000
            try await fixture.store.setWallet(id: "bank", currency: "XAF", balanceMinor: balance, now: t0)
            let amounts = (0..<200).map { Int64(100 + ($0 * 37) % 401) }
            _ = try await fixture.store.accept(
                amounts.enumerated().map { command("j-\($0.offset)", amount: $0.element) },
                now: t0
            )
            let stores = [fixture.store, try await fixture.another()]
            let processed = Locked(0)
            let samples = Locked<[Int64]>([])

            let results = try await withDeadline(.seconds(180), "200 holds") {
                try await withThrowingTaskGroup(of: (String, TransitionResult)?.self) { group in
                    group.addTask {
                        // Samples available balance while the race runs.
                        while processed.value < amounts.count {
                            if let wallet = try await stores[1].wallets().first {
                                samples.withLock { $0.append(wallet.availableMinor) }
                            }
                            await Task.yield()
                        }
                        return nil
                    }
                    for task in 0..<amounts.count {
                        let store = stores[task % 2]
                        group.addTask {
                            while processed.value < amounts.count {
                                guard
                                    let payout = try await store.claimDue(
                                        owner: "t-\(task)",
                                        limit: 1,
                                        leaseMilliseconds: 10 * minute,
                                        now: t0
                                    ).first
                                else {
                                    await Task.yield()
                                    continue
                                }
                                var result = try await store.commit(
                                    transition(
                                        payout,
                                        owner: "t-\(task)",
                                        status: .processing,
                                        ledger: .hold(currency: "XAF", amountMinor: payout.amountMinor),
                                        nextAttemptAt: t0 + minute
                                    ),
                                    now: t0
                                )
                                if case .insufficientFunds = result {
                                    _ = try await store.commit(
                                        transition(
                                            payout,
                                            owner: "t-\(task)",
                                            status: .failed,
                                            isFinal: true,
                                            reasonCode: "INSUFFICIENT_FUNDS"
                                        ),
                                        now: t0
                                    )
                                } else if result.committed == nil {
                                    result = .leaseLost
                                }
                                processed.withLock { $0 += 1 }
                                return (payout.referenceID, result)
                            }
                            return nil
                        }
                    }
                    return try await group.reduce(into: [String: TransitionResult]()) { all, next in
                        guard let (ref, result) = next else { return }
                        #expect(all[ref] == nil, "\(ref) processed twice")
                        all[ref] = result
                    }
                }
            }

            #expect(results.count == amounts.count)
            #expect(results.values.allSatisfy { $0 != .leaseLost && $0 != .walletUnknown })
            let heldRefs = results.filter { $0.value.committed != nil }.map(\.key)
            var heldTotal: Int64 = 0
            for ref in heldRefs {
                heldTotal += try #require(try await fixture.store.hold(referenceID: ref)).amountMinor
            }
            let wallet = try #require(try await fixture.store.wallets().first)
            #expect(wallet.heldMinor == heldTotal)
            #expect(heldTotal <= balance)
            #expect(wallet.availableMinor >= 0)
            #expect(samples.value.allSatisfy { $0 >= 0 })
            // Some were refused: 200 payouts of ~3.00 cannot fit in 100.00, and the refusal
            // reported a non-negative available balance smaller than the amount.
            let refused = results.filter { if case .insufficientFunds = $0.value { true } else { false } }
            #expect(!refused.isEmpty)
            for (ref, result) in refused {
                guard case .insufficientFunds(let available) = result else { continue }
                #expect(available >= 0)
                #expect(available < amounts[Int(ref.dropFirst(2))!])
                #expect(try await fixture.store.hold(referenceID: ref) == nil)
            }

            // Settle: post even-numbered holds (debiting 1 less than held for every fourth), void the rest.
            var posted: Int64 = 0
            let toSettle = try await fixture.store.claimDue(
                owner: "settler",
                limit: 1_000,
                leaseMilliseconds: 10 * minute,
                now: t0 + minute
            )
            #expect(Set(toSettle.map(\.referenceID)) == Set(heldRefs))
            for (index, payout) in toSettle.enumerated() {
                let ref = payout.referenceID
                let hold = try #require(try await fixture.store.hold(referenceID: ref))
                let ledger: LedgerOperation
                if index % 2 == 0 {
                    let debit = index % 4 == 0 ? hold.amountMinor - 1 : hold.amountMinor
                    posted += debit
                    ledger = .post(debitedMinor: debit)
                } else {
                    ledger = .void
                }
                let done = try await stores[index % 2].commit(
                    transition(payout, owner: "settler", status: .completed, isFinal: true, ledger: ledger),
                    now: t0 + minute
                )
                #expect(done.committed != nil)
            }
            await stores[1].close()
            let settled = try #require(try await fixture.store.wallets().first)
            #expect(settled.heldMinor == 0)
            #expect(settled.balanceMinor == balance - posted)
        }
    }
}
