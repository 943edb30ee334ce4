import Logging
import PostgresNIO
import Synchronization

/// Group commit of engine steps on PostgreSQL: steps that wait together run on one connection in
/// one transaction, each as one call of `payout_step` (``PostgresEngineStep``), and commit with one
/// WAL flush. Only engine steps are grouped: every other write runs in a transaction of its own.
///
/// Why the pool alone does not amortise the flushes: a ledger step locks its wallet row until its
/// commit has flushed, so the payouts of one wallet would commit one after another, each behind a
/// flush of its own. In a group the wallet lock is taken once and released by one flush.
///
/// Why no cycle of lock waits can form. Every transaction of the store takes its row locks in one
/// global order: payout rows by reference_id (byte order, `COLLATE "C"`), then wallet rows by
/// currency.
/// - A group first locks all its payout rows, in that order, in one statement. It then runs the
///   steps that touch no wallet, then the wallet steps by currency: it waits for a wallet only once
///   it holds every payout row it will need, and for wallets in order.
/// - Intake locks payout rows in reference_id order and never a wallet; claims skip locked rows and
///   never wait; every other write locks a single row.
/// So a transaction that holds a wallet never waits for a row that a waiter for that wallet holds.
///
/// A step that still meets a deadlock, a lock timeout or a statement timeout (a foreign session, a
/// server past its limits) ends the group's transaction, which releases every lock the group
/// holds, and the whole group runs again: a group never goes on holding locks while its later
/// members wait. Each such conflict is counted (``LockConflictCounter``) and logged with what the
/// step waited for. A failure of the shared transaction itself (a failed COMMIT, a lost
/// connection) fails every member; each caller learns its outcome only once its group committed.
final class PostgresStepGroups: Sendable {
    /// One waiting step and the callback that reports its outcome, or its group's failure.
    struct Member: Sendable {
        let transition: PayoutTransition
        let now: Int64
        let finish: @Sendable (Result<PostgresEngineStep.Outcome, any Error>) -> Void
    }

    private struct State {
        var waiting: [Member] = []
        var running = 0
    }

    private let state = Mutex(State())
    private let groups = Atomic<Int>(0)
    /// Groups committed (or failed) so far.
    var groupCount: Int { groups.load(ordering: .relaxed) }
    /// Steps waiting for a group.
    var waitingCount: Int { state.withLock { $0.waiting.count } }
    private let client: PostgresClient
    private let conflicts: LockConflictCounter
    private let logger: Logger
    /// The most steps one group holds.
    static let maximumGroup = 64
    /// Groups in flight at once, each on a pooled connection.
    static let concurrentGroups = 4
    /// Runs of one group ended by a deadlock before its members are failed. A cycle cannot form
    /// among this store's own transactions, so a deadlock involves a foreign session.
    static let deadlockAttempts = 5
    /// Runs of one group ended by a lock or statement timeout before its members are failed: a
    /// lock held that long is held by something that will not let go soon.
    static let timeoutAttempts = 2

    init(client: PostgresClient, conflicts: LockConflictCounter, logger: Logger) {
        self.client = client
        self.conflicts = conflicts
        self.logger = logger
    }

    /// Runs `transition` in the next group; returns once that group has committed.
    func execute(_ transition: PayoutTransition, now: Int64) async throws -> PostgresEngineStep.Outcome {
        try await withCheckedThrowingContinuation { continuation in
            submit(Member(transition: transition, now: now) { continuation.resume(with: $0) })
        }
    }

    private func submit(_ member: Member) {
        let start = state.withLock { state -> Bool in
            state.waiting.append(member)
            guard state.running < Self.concurrentGroups else { return false }
            state.running += 1
            return true
        }
        if start { Task { await drain() } }
    }

    private func drain() async {
        while true {
            let group = state.withLock { state -> [Member] in
                let taken = Array(state.waiting.prefix(Self.maximumGroup))
                state.waiting.removeFirst(taken.count)
                if taken.isEmpty { state.running -= 1 }
                return taken
            }
            guard !group.isEmpty else { return }
            let outcome = await run(group)
            groups.add(1, ordering: .relaxed)
            switch outcome {
            case .success(let outcomes):
                for (member, outcome) in zip(group, outcomes) { member.finish(outcome) }
            case .failure(let error):
                for member in group { member.finish(.failure(error)) }
            }
        }
    }

    /// The group's transaction, run again from its start while a lock conflict ends it and
    /// attempts remain.
    private func run(_ group: [Member]) async -> Result<[Result<PostgresEngineStep.Outcome, any Error>], any Error> {
        var attempt = 1
        while true {
            do {
                return .success(
                    try await client.withConnection { connection in try await self.commit(group, on: connection) }
                )
            } catch let failed as CommitFailed {
                return .failure(failed.underlying)
            } catch {
                guard let conflict = Self.conflict(in: error) else { return .failure(error) }
                conflicts.record(conflict.kind)
                let limit = conflict.kind == .deadlock ? Self.deadlockAttempts : Self.timeoutAttempts
                logger.warning(
                    "lock conflict ended a group of engine steps; all its locks were released",
                    metadata: [
                        "kind": "\(conflict.kind.rawValue)", "waited_for": "\(conflict.waitedFor)",
                        "steps": "\(group.count)",
                        "attempt": "\(attempt)", "runs_again": "\(attempt < limit)",
                    ]
                )
                guard attempt < limit else {
                    return .failure(
                        StoreError(
                            .conflict,
                            "engine step group: \(conflict.message) while waiting for \(conflict.waitedFor) (SQLSTATE \(conflict.sqlState)), \(attempt) times",
                            isRetriable: true
                        )
                    )
                }
                attempt += 1
            }
        }
    }

    /// One run of the group: its payout rows locked in order, then its steps, wallet steps last.
    private func commit(
        _ group: [Member],
        on connection: PostgresConnection
    ) async throws -> [Result<PostgresEngineStep.Outcome, any Error>] {
        try await connection.query("BEGIN", logger: logger)
        var outcomes = [Result<PostgresEngineStep.Outcome, any Error>?](repeating: nil, count: group.count)
        do {
            let currencies = try await lockPayouts(group, on: connection)
            for index in Self.lockOrder(group, currencies: currencies) {
                let member = group[index]
                let rows = try await connection.query(
                    PostgresEngineStep.call(member.transition, now: member.now),
                    logger: logger
                ).collect()
                let outcome = Result { try PostgresEngineStep.outcome(of: rows, member.transition) }
                if case .success(.failed(let sqlState, let message)) = outcome,
                    let kind = StoreLockConflicts.Kind(sqlState: sqlState)
                {
                    throw LockConflict(
                        kind: kind,
                        sqlState: sqlState,
                        message: message,
                        waitedFor: Self.waitedFor(member, currencies: currencies)
                    )
                }
                outcomes[index] = outcome
            }
        } catch {
            await connection.rollBackOrClose(logger: logger)
            throw error
        }
        do {
            try await connection.query("COMMIT", logger: logger)
        } catch {
            // Its transaction state is unknown: it must not go back to the pool, nor run again.
            try? await connection.close()
            throw CommitFailed(underlying: error)
        }
        return outcomes.map { $0 ?? .failure(StoreError(.other, "an engine step of the group did not run")) }
    }

    /// Locks the group's payout rows in the store's global order; returns each one's currency.
    private func lockPayouts(_ group: [Member], on connection: PostgresConnection) async throws -> [String: String] {
        let references = Array(Set(group.map(\.transition.referenceID)))
        var currencies: [String: String] = [:]
        let rows = try await connection.query(
            """
            SELECT reference_id, currency FROM payouts WHERE reference_id = ANY(\(references))
            ORDER BY reference_id COLLATE "C" FOR UPDATE
            """,
            logger: logger
        )
        for try await (reference, currency) in rows.decode((String, String).self) { currencies[reference] = currency }
        return currencies
    }

    /// Member indices in the order the group runs them: steps without a wallet first, then
    /// wallet steps by currency; submission order otherwise.
    static func lockOrder(_ group: [Member], currencies: [String: String]) -> [Int] {
        let wallets = group.map { wallet(of: $0.transition, currencies: currencies) }
        return group.indices.sorted { a, b in
            switch (wallets[a], wallets[b]) {
            case (nil, nil): a < b
            case (nil, _?): true
            case (_?, nil): false
            case (let x?, let y?): x == y ? a < b : x.utf8.lexicographicallyPrecedes(y.utf8)
            }
        }
    }

    /// The currency of the wallet row a step locks, if it locks one (a void only settles its hold).
    private static func wallet(of transition: PayoutTransition, currencies: [String: String]) -> String? {
        switch transition.ledger {
        case .none, .void: nil
        case .hold(let currency, _): currency
        case .post: currencies[transition.referenceID] ?? ""
        }
    }

    private static func waitedFor(_ member: Member, currencies: [String: String]) -> String {
        if let currency = wallet(of: member.transition, currencies: currencies) {
            return "the \(currency) wallet row (payout_step for \(member.transition.referenceID))"
        }
        return "payout_step for \(member.transition.referenceID)"
    }

    /// The lock conflict that ended a run, if that is what ended it.
    private static func conflict(in error: any Error) -> LockConflict? {
        if let conflict = error as? LockConflict { return conflict }
        guard let psql = PostgresErrorMapping.unwrap(error) as? PSQLError,
            let sqlState = psql.serverInfo?[.sqlState], let kind = StoreLockConflicts.Kind(sqlState: sqlState)
        else { return nil }
        return LockConflict(
            kind: kind,
            sqlState: sqlState,
            message: psql.serverInfo?[.message] ?? "lock conflict",
            waitedFor: psql.serverInfo?[.locationContext] ?? "the group's payout rows"
        )
    }
}

/// A lock wait that ended a group's run; what it waited for, as far as the step or the server says.
private struct LockConflict: Error {
    let kind: StoreLockConflicts.Kind
    let sqlState: String
    let message: String
    let waitedFor: String
}

/// The group's COMMIT failed: its outcome is unknown, so it is never run again.
private struct CommitFailed: Error {
    let underlying: any Error
}
