import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import PayoutEngine

/// Several stores (what several worker processes have) on one PostgreSQL database take their locks
/// in one order, so they never wait on each other in a cycle; a wait on anything else is bounded.
@Suite("PostgreSQL lock order")
struct PostgresLockOrderTests {
    @Test(
        "three stores holding, posting and re-reading the same payouts in two currencies never deadlock, and every payout settles"
    )
    func fleetNeverDeadlocks() async throws {
        try await withStore(.postgres) { fixture in
            // Fresh stores for the fleet, closed before the server's deadlock count is read: a
            // backend reports its statistics for sure only when it exits.
            let backendsBefore = try await backends(fixture.url)
            let stores = [try await fixture.another(), try await fixture.another(), try await fixture.another()]
            let references = (0..<240).map { "fleet-\($0)" }
            let currency = { (index: Int) in index.isMultiple(of: 2) ? "XAF" : "USD" }
            try await fixture.store.setWallet(id: "w-xaf", currency: "XAF", balanceMinor: 10_000_000, now: t0)
            try await fixture.store.setWallet(id: "w-usd", currency: "USD", balanceMinor: 10_000_000, now: t0)
            let commands = references.enumerated().map { command($1, amount: 100, currency: currency($0)) }
            _ = try await fixture.store.accept(commands, now: t0)
            let deadlocksBefore = try await deadlocks(fixture.url)

            let settled = Locked(0)
            try await withDeadline(.seconds(120), "every payout settles") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, store) in stores.enumerated() {
                        for worker in 0..<6 {
                            group.addTask {
                                try await settle(
                                    store,
                                    owner: "s\(index)-w\(worker)",
                                    until: references.count,
                                    settled: settled
                                )
                            }
                        }
                        // Upstream sending duplicates: intake locks the payouts the steps are working on.
                        group.addTask {
                            var round = 0
                            while settled.value < references.count {
                                let start = (round * 37 + index * 80) % commands.count
                                _ = try await store.accept(Array((commands + commands)[start..<start + 40]), now: t0)
                                round += 1
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }

            for store in stores {
                #expect(store.lockConflicts == StoreLockConflicts(), "lock conflicts: \(store.lockConflicts.counts)")
            }
            let wallets = try await fixture.store.wallets()
            #expect(wallets.map(\.heldMinor) == [0, 0])
            #expect(wallets.map(\.balanceMinor) == [10_000_000 - 12_000, 10_000_000 - 12_000])
            for store in stores { await store.close() }
            try await eventually("the fleet's backends exit") {
                (try? await backends(fixture.url))?.isSubset(of: backendsBefore) == true
            }
            #expect(try await deadlocks(fixture.url) - deadlocksBefore == 0, "PostgreSQL detected deadlocks")
        }
    }

    @Test(
        "a step waiting for a wallet row that another session holds gives up after lock_timeout, its whole group is rolled back, and it commits once the row is free"
    )
    func lockTimeoutEndsTheGroup() async throws {
        try await withStore(.postgres) { fixture in
            let opened = try await PayoutStoreFactory.openMigrated(
                url: fixture.url + "&lock_timeout=200",
                logger: quietLogger
            )
            do {
                try await lockTimeoutEndsTheGroup(try #require(opened as? PostgresPayoutStore), url: fixture.url)
            } catch {
                await opened.close()
                throw error
            }
            await opened.close()
        }
    }

    private func lockTimeoutEndsTheGroup(_ store: PostgresPayoutStore, url: String) async throws {
        #expect(
            try await store.read("lock_timeout") {
                try await $0.query("SHOW lock_timeout", logger: quietLogger).collect().first?.decode(String.self)
            } == "200ms"
        )
        try await store.setWallet(id: "w-xaf", currency: "XAF", balanceMinor: 10_000, now: t0)
        _ = try await store.accept([command("t-hold"), command("t-plain")], now: t0)
        let held = try #require(try await claimOnly("t-hold", store, owner: "w"))
        let plain = try #require(try await claimOnly("t-plain", store, owner: "w"))

        let locker = try await PostgresSession.connect(url)
        try await locker.query("BEGIN", logger: quietLogger)
        try await locker.query("SELECT 1 FROM wallets WHERE currency = 'XAF' FOR UPDATE", logger: quietLogger)
        // Two steps in one group: the hold waits for the wallet, the other writes nothing of its own.
        let hold = Task {
            try await store.commit(
                transition(held, owner: "w", ledger: .hold(currency: "XAF", amountMinor: 1_000)),
                now: t0
            )
        }
        let other = Task { try await store.commit(transition(plain, owner: "w"), now: t0) }
        let failures = [await hold.result, await other.result].compactMap { result -> StoreError? in
            if case .failure(let error as StoreError) = result { error } else { nil }
        }
        #expect(failures.count >= 1, "the hold gave up")
        for failure in failures {
            #expect(
                failure.kind == .conflict && failure.isRetriable && failure.description.contains("lock timeout"),
                "\(failure)"
            )
        }
        #expect(failures.contains { $0.description.contains("XAF wallet") }, "the error says what it waited for")
        #expect(store.lockConflicts[.lockTimeout] == PostgresStepGroups.timeoutAttempts)
        #expect(try await store.hold(referenceID: "t-hold") == nil)
        try await locker.query("COMMIT", logger: quietLogger)
        try await locker.close()
        #expect(try await openTransactions(store) == 0, "nothing of the group stays open")
        let retried = try await store.commit(
            transition(held, owner: "w", ledger: .hold(currency: "XAF", amountMinor: 1_000)),
            now: t0
        )
        #expect(retried.committed?.sequence == 2)
        #expect(try await store.wallets().first?.heldMinor == 1_000)
    }
}

/// Claims and settles payouts (hold, then post) as one worker would, until `total` have settled.
private func settle(_ store: any PayoutStore, owner: String, until total: Int, settled: Locked<Int>) async throws {
    while settled.value < total {
        let claimed = try await store.claimDue(owner: owner, limit: 4, leaseMilliseconds: minute, now: t0)
        if claimed.isEmpty { await Task.yield() }
        for payout in claimed {
            let hold = transition(
                payout,
                owner: owner,
                status: .pending,
                ledger: .hold(currency: payout.currency, amountMinor: payout.amountMinor),
                renewLeaseMilliseconds: minute
            )
            guard let pending = try await store.commit(hold, now: t0).committed else { continue }
            let post = transition(
                pending,
                owner: owner,
                status: .completed,
                isFinal: true,
                ledger: .post(debitedMinor: pending.amountMinor)
            )
            if try await store.commit(post, now: t0).committed != nil { settled.withLock { $0 += 1 } }
        }
    }
}

/// Deadlocks PostgreSQL has detected in the database of `url`, as reported by the backends so far.
private func deadlocks(_ url: String) async throws -> Int {
    try await PostgresSession.query(url, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        .first ?? -1
}

/// The other sessions on the database of `url`.
private func backends(_ url: String) async throws -> Set<Int> {
    Set(
        try await PostgresSession.query(
            url,
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    )
}

/// A plain session on the store's database, for a test to hold locks or read statistics with.
enum PostgresSession {
    static func connect(_ url: String) async throws -> PostgresConnection {
        guard case .postgres(let location) = try StoreLocation.parse(url) else {
            throw StoreError(.invalidURL, "not a PostgreSQL URL")
        }
        return try await PostgresConnection.connect(
            configuration: PostgresPayoutStore.connectionConfiguration(location),
            id: 1,
            logger: quietLogger
        )
    }

    /// The first column of a query's rows, as integers, read on a session of its own.
    static func query(_ url: String, _ sql: String) async throws -> [Int] {
        let session = try await connect(url)
        do {
            let values = try await session.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect().map {
                try $0.decode(Int.self)
            }
            try await session.close()
            return values
        } catch {
            try? await session.close()
            throw error
        }
    }
}
