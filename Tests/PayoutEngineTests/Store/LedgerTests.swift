import PayoutEngine
import Testing

extension PayoutStoreConformance {
    @Test(arguments: StoreKind.allCases)
    func holdPostAndVoid(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            try await store.setWallet(id: "w-xaf", currency: "XAF", balanceMinor: 10_000, now: t0)
            _ = try await store.accept([command("h-1", amount: 3_000), command("h-2", amount: 2_000)], now: t0)

            let one = try #require(try await claimOnly("h-1", store, owner: "w"))
            let held = try #require(
                try await store.commit(
                    transition(one, owner: "w", ledger: .hold(currency: "XAF", amountMinor: 3_000), nextAttemptAt: t0),
                    now: t0
                ).committed
            )
            #expect(
                try await store.hold(referenceID: "h-1")
                    == StoredHold(
                        referenceID: "h-1",
                        walletID: "w-xaf",
                        amountMinor: 3_000,
                        state: .pending,
                        settledMinor: nil
                    )
            )
            #expect(
                try await store.wallets() == [
                    WalletBalance(walletID: "w-xaf", currency: "XAF", balanceMinor: 10_000, heldMinor: 3_000)
                ]
            )

            let two = try #require(try await claimOnly("h-2", store, owner: "w"))
            _ = try await store.commit(
                transition(two, owner: "w", ledger: .hold(currency: "XAF", amountMinor: 2_000), nextAttemptAt: t0),
                now: t0
            )
            #expect(try await store.wallets().first?.availableMinor == 5_000)

            // Post less than held (the provider's fee waiver, say): the balance drops by what was debited.
            let again = try #require(try await claimOnly("h-1", store, owner: "w"))
            #expect(again.sequence == held.sequence)
            _ = try #require(
                try await store.commit(
                    transition(
                        again,
                        owner: "w",
                        status: .completed,
                        isFinal: true,
                        ledger: .post(debitedMinor: 2_900)
                    ),
                    now: t0
                ).committed
            )
            #expect(
                try await store.hold(referenceID: "h-1")
                    == StoredHold(
                        referenceID: "h-1",
                        walletID: "w-xaf",
                        amountMinor: 3_000,
                        state: .posted,
                        settledMinor: 2_900
                    )
            )
            #expect(
                try await store.wallets() == [
                    WalletBalance(walletID: "w-xaf", currency: "XAF", balanceMinor: 7_100, heldMinor: 2_000)
                ]
            )

            let failing = try #require(try await claimOnly("h-2", store, owner: "w"))
            _ = try #require(
                try await store.commit(
                    transition(failing, owner: "w", status: .failed, isFinal: true, ledger: .void),
                    now: t0
                ).committed
            )
            #expect(try await store.hold(referenceID: "h-2")?.state == .voided)
            #expect(try await store.hold(referenceID: "h-2")?.settledMinor == nil)
            #expect(
                try await store.wallets() == [
                    WalletBalance(walletID: "w-xaf", currency: "XAF", balanceMinor: 7_100, heldMinor: 0)
                ]
            )
        }
    }

    @Test(arguments: StoreKind.allCases)
    func refusedHoldsWriteNothing(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            try await store.setWallet(id: "w-xaf", currency: "XAF", balanceMinor: 1_000, now: t0)
            _ = try await store.accept([command("f-1", amount: 1_500)], now: t0)
            try await drainOutbox(store)
            let claimed = try #require(try await claimOnly("f-1", store, owner: "w"))

            let short = try await store.commit(
                transition(claimed, owner: "w", ledger: .hold(currency: "XAF", amountMinor: 1_500)),
                now: t0
            )
            #expect(short == .insufficientFunds(availableMinor: 1_000))
            let unknown = try await store.commit(
                transition(claimed, owner: "w", ledger: .hold(currency: "EUR", amountMinor: 1)),
                now: t0
            )
            #expect(unknown == .walletUnknown)

            #expect(try await store.payout(referenceID: "f-1") == claimed)
            #expect(try await store.events(referenceID: "f-1").map(\.sequence) == [1])
            #expect(try await store.hold(referenceID: "f-1") == nil)
            #expect(try await store.outboxBacklog() == 0)
            #expect(
                try await store.wallets() == [
                    WalletBalance(walletID: "w-xaf", currency: "XAF", balanceMinor: 1_000, heldMinor: 0)
                ]
            )

            // Exactly covered is covered.
            let exact = try await store.commit(
                transition(claimed, owner: "w", ledger: .hold(currency: "XAF", amountMinor: 1_000)),
                now: t0
            )
            #expect(exact.committed != nil)
            #expect(try await store.wallets().first?.availableMinor == 0)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func ledgerMisuseIsAnErrorAndWritesNothing(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            try await store.setWallet(id: "w-xaf", currency: "XAF", balanceMinor: 10_000, now: t0)
            _ = try await store.accept([command("x-1"), command("x-2")], now: t0)
            let fresh = try #require(try await claimOnly("x-2", store, owner: "w"))
            // Post or void without a hold.
            for ledger in [LedgerOperation.post(debitedMinor: 1), .void] {
                let error = await #expect(throws: StoreError.self) {
                    try await store.commit(transition(fresh, owner: "w", ledger: ledger), now: t0)
                }
                #expect(error?.kind == .conflict)
            }
            #expect(try await store.payout(referenceID: "x-2") == fresh)

            let claimed = try #require(try await claimOnly("x-1", store, owner: "w"))
            let held = try #require(
                try await store.commit(
                    transition(
                        claimed,
                        owner: "w",
                        ledger: .hold(currency: "XAF", amountMinor: 500),
                        renewLeaseMilliseconds: minute
                    ),
                    now: t0
                ).committed
            )
            // A second hold, even identical, is refused: a payout reserves funds once.
            let error = await #expect(throws: StoreError.self) {
                try await store.commit(
                    transition(held, owner: "w", ledger: .hold(currency: "XAF", amountMinor: 500)),
                    now: t0
                )
            }
            #expect(error?.kind == .conflict && error?.isRetriable == false)
            #expect(try await store.payout(referenceID: "x-1") == held)
            #expect(try await store.wallets().first?.heldMinor == 500)
            // Non-positive holds and negative debits are refused before touching the database.
            await #expect(throws: StoreError.self) {
                try await store.commit(
                    transition(held, owner: "w", ledger: .hold(currency: "XAF", amountMinor: 0)),
                    now: t0
                )
            }
            await #expect(throws: StoreError.self) {
                try await store.commit(transition(held, owner: "w", ledger: .post(debitedMinor: -1)), now: t0)
            }

            let voided = try #require(
                try await store.commit(
                    transition(held, owner: "w", ledger: .void, renewLeaseMilliseconds: minute),
                    now: t0
                ).committed
            )
            await #expect(throws: StoreError.self) {
                try await store.commit(transition(voided, owner: "w", ledger: .void), now: t0)
            }
            await #expect(throws: StoreError.self) {
                try await store.commit(transition(voided, owner: "w", ledger: .post(debitedMinor: 500)), now: t0)
            }
            #expect(try await store.hold(referenceID: "x-1")?.state == .voided)
            #expect(
                try await store.wallets() == [
                    WalletBalance(walletID: "w-xaf", currency: "XAF", balanceMinor: 10_000, heldMinor: 0)
                ]
            )
        }
    }

    @Test(arguments: StoreKind.allCases)
    func walletsListing(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            try await store.setWallet(id: "w-xof", currency: "XOF", balanceMinor: 5_000, now: t0)
            try await store.setWallet(id: "w-xaf", currency: "XAF", balanceMinor: 1_000, now: t0)
            try await store.setWallet(id: "w-xaf", currency: "XAF", balanceMinor: 2_000, now: t0 + 1)
            #expect(
                try await store.wallets() == [
                    WalletBalance(walletID: "w-xaf", currency: "XAF", balanceMinor: 2_000, heldMinor: 0),
                    WalletBalance(walletID: "w-xof", currency: "XOF", balanceMinor: 5_000, heldMinor: 0),
                ]
            )
            // One wallet per currency; a wallet keeps its currency.
            let taken = await #expect(throws: StoreError.self) {
                try await store.setWallet(id: "w-other", currency: "XAF", balanceMinor: 1, now: t0)
            }
            #expect(taken?.kind == .conflict)
            let moved = await #expect(throws: StoreError.self) {
                try await store.setWallet(id: "w-xaf", currency: "EUR", balanceMinor: 1, now: t0)
            }
            #expect(moved?.kind == .conflict)

            _ = try await store.accept([command("wl-1", amount: 700)], now: t0)
            let claimed = try #require(try await claimOnly("wl-1", store, owner: "w"))
            _ = try await store.commit(
                transition(claimed, owner: "w", ledger: .hold(currency: "XAF", amountMinor: 700)),
                now: t0
            )
            let xaf = try #require(try await store.wallets().first { $0.currency == "XAF" })
            #expect(xaf.heldMinor == 700 && xaf.availableMinor == 1_300)
            // Re-declaring the balance keeps the holds.
            try await store.setWallet(id: "w-xaf", currency: "XAF", balanceMinor: 900, now: t0 + 2)
            #expect(try await store.wallets().first { $0.currency == "XAF" }?.availableMinor == 200)
        }
    }
}
