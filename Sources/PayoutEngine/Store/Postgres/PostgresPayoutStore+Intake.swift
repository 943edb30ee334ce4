import Logging
import PostgresNIO

// Intake: a batch of commands and rejections recorded in one transaction, duplicates and conflicts classified.
extension PostgresPayoutStore {
    // MARK: - Intake

    func accept(_ items: [IntakeItem], now: Int64) async throws(StoreError) -> [IntakeOutcome] {
        guard !items.isEmpty else { return [] }
        try TransitionRules.checkIntake(items)
        if !items.contains(where: { if case .rejection = $0 { true } else { false } }) {
            return try await transaction("accept") { [self] connection in
                .commit(try await acceptCommands(items, now: now, on: connection))
            }
        }
        // With rejections (rare), one reference at a time, so a rejection and a command of the
        // same reference_id keep their batch order.
        // Lock order: by reference_id (stable, so one reference's items keep their batch order).
        let order = items.indices.sorted { (Self.referenceID(items[$0]), $0) < (Self.referenceID(items[$1]), $1) }
        return try await transaction("accept") { [self] connection in
            var outcomes = [IntakeOutcome](repeating: .rejected, count: items.count)
            for index in order {
                switch items[index] {
                case .command(let payout):
                    outcomes[index] = try await accept(payout, now: now, on: connection)
                case .rejection(let referenceID, let event):
                    outcomes[index] = try await reject(referenceID, event: event, now: now, on: connection)
                }
            }
            return .commit(outcomes)
        }
    }

    /// A batch of commands in a fixed number of round trips instead of one or two per command:
    /// 1. lock the batch's existing payouts (`FOR SHARE`, in reference_id order): waits for any
    ///    in-flight transition, so the sequence read is the newest, and none can commit after it
    ///    until this transaction does;
    /// 2. insert the unknown ones with their ACCEPTED event and outbox entry, from arrays
    ///    (`unnest`), in reference_id order; one that a concurrent intake inserted meanwhile is
    ///    skipped (`ON CONFLICT DO NOTHING` waits for that insert) and locked as in 1;
    /// 3. re-enqueue the latest event of every identical duplicate (a reference_id repeated in the
    ///    batch is a duplicate of its first occurrence), in one insert.
    private func acceptCommands(_ items: [IntakeItem], now: Int64, on connection: PostgresConnection) async throws -> [IntakeOutcome] {
        struct Known { var fingerprint: String; var sequence: Int; var status: String }
        let payouts: [NewPayout] = items.map { if case .command(let payout) = $0 { payout } else { preconditionFailure("commands only") } }
        var known: [String: Known] = [:]

        func lockExisting(_ references: [String]) async throws {
            guard !references.isEmpty else { return }
            let rows = try await connection.query("""
                SELECT reference_id, fingerprint, sequence, status FROM payouts
                WHERE reference_id = ANY(\(references)) ORDER BY reference_id FOR SHARE
                """, logger: logger)
            for try await (reference, fingerprint, sequence, status) in rows.decode((String, String, Int, String).self) {
                known[reference] = Known(fingerprint: fingerprint, sequence: sequence, status: status)
            }
        }
        try await lockExisting(Set(payouts.map(\.referenceID)).sorted())

        // First occurrence of each unknown reference_id, in reference_id order.
        var seen = Set<String>()
        let new = payouts.filter { known[$0.referenceID] == nil && seen.insert($0.referenceID).inserted }
            .sorted { $0.referenceID < $1.referenceID }
        var inserted = Set<String>()
        if !new.isEmpty {
            let events = new.map(\.acceptedEvent)
            let rows = try await connection.query("""
                WITH input AS (
                    SELECT * FROM unnest(\(new.map(\.referenceID))::text[], \(new.map(\.fingerprint))::text[],
                                         \(new.map(\.amountMinor))::int8[], \(new.map(\.currency))::text[],
                                         \(events.map(\.status))::text[], \(new.map(\.state))::text[],
                                         \(events.map { Int64($0.sequence) })::int8[], \(events.map(\.payload))::text[],
                                         \(events.map(\.occurredAt))::int8[])
                        AS i(reference_id, fingerprint, amount_minor, currency, status, state, sequence, payload, occurred_at)
                ), payout AS (
                    INSERT INTO payouts (\(unescaped: PostgresRecords.payoutColumns))
                    SELECT reference_id, fingerprint, amount_minor, currency, status, FALSE, NULL,
                           state, sequence, 0, \(now), NULL, NULL, \(now), \(now)
                    FROM input ORDER BY reference_id
                    ON CONFLICT (reference_id) DO NOTHING
                    RETURNING reference_id
                ), event AS (
                    INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at)
                    SELECT i.reference_id, i.sequence, i.status, i.payload, i.occurred_at
                    FROM input i JOIN payout p ON p.reference_id = i.reference_id
                    ORDER BY i.reference_id
                    RETURNING reference_id, sequence
                )
                INSERT INTO outbox (reference_id, sequence, enqueued_at)
                SELECT reference_id, sequence, \(now) FROM event ORDER BY reference_id
                RETURNING reference_id
                """, logger: logger)
            for try await reference in rows.decode(String.self) { inserted.insert(reference) }
            for payout in new where inserted.contains(payout.referenceID) {
                let event = payout.acceptedEvent
                known[payout.referenceID] = Known(fingerprint: payout.fingerprint, sequence: event.sequence, status: event.status)
            }
            // Inserted by a concurrent intake between 1 and 2: lock and read it as in 1.
            try await lockExisting(new.map(\.referenceID).filter { !inserted.contains($0) })
        }

        var outcomes: [IntakeOutcome] = []
        outcomes.reserveCapacity(payouts.count)
        var requeue: [(reference: String, sequence: Int)] = []
        for payout in payouts {
            if inserted.remove(payout.referenceID) != nil {
                outcomes.append(.accepted)
                continue
            }
            guard let existing = known[payout.referenceID] else {
                throw StoreError(.conflict, "payout \(payout.referenceID) conflicted on insert but cannot be read", isRetriable: true)
            }
            if existing.fingerprint == payout.fingerprint {
                requeue.append((payout.referenceID, existing.sequence))
                outcomes.append(.duplicate(latestStatus: existing.status))
            } else {
                outcomes.append(.conflict)
            }
        }
        if !requeue.isEmpty {
            try await connection.query("""
                INSERT INTO outbox (reference_id, sequence, enqueued_at)
                SELECT reference_id, sequence, \(now)
                FROM unnest(\(requeue.map(\.reference))::text[], \(requeue.map { Int64($0.sequence) })::int8[]) AS r(reference_id, sequence)
                """, logger: logger)
        }
        return outcomes
    }

    private static func referenceID(_ item: IntakeItem) -> String {
        switch item {
        case .command(let payout): payout.referenceID
        case .rejection(let referenceID, _): referenceID
        }
    }

    private func accept(_ payout: NewPayout, now: Int64, on connection: PostgresConnection) async throws -> IntakeOutcome {
        let ref = payout.referenceID
        let event = payout.acceptedEvent
        // One round trip for the common case: payout, its first event and the outbox entry.
        let inserted = try await connection.query("""
            WITH payout AS (
                INSERT INTO payouts (\(unescaped: PostgresRecords.payoutColumns))
                VALUES (\(ref), \(payout.fingerprint), \(payout.amountMinor), \(payout.currency), \(event.status), FALSE, NULL,
                        \(payout.state), \(event.sequence), 0, \(now), NULL, NULL, \(now), \(now))
                ON CONFLICT (reference_id) DO NOTHING
                RETURNING reference_id
            ), event AS (
                INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at)
                SELECT reference_id, \(event.sequence), \(event.status), \(event.payload), \(event.occurredAt) FROM payout
                RETURNING reference_id, sequence
            )
            INSERT INTO outbox (reference_id, sequence, enqueued_at) SELECT reference_id, sequence, \(now) FROM event
            RETURNING id
            """, logger: logger).collect()
        if !inserted.isEmpty { return .accepted }

        // Exists: re-enqueue the latest event if it is the same command. FOR SHARE waits for an
        // in-flight transition of this payout, so the sequence read is the newest one.
        let existing = try await connection.query("""
            WITH existing AS (
                SELECT reference_id, fingerprint, sequence, status FROM payouts WHERE reference_id = \(ref) FOR SHARE
            ), enqueued AS (
                INSERT INTO outbox (reference_id, sequence, enqueued_at)
                SELECT reference_id, sequence, \(now) FROM existing WHERE fingerprint = \(payout.fingerprint)
            )
            SELECT fingerprint, status FROM existing
            """, logger: logger).collect()
        guard let row = existing.first else {
            throw StoreError(.conflict, "payout \(ref) conflicted on insert but cannot be read", isRetriable: true)
        }
        let (fingerprint, status) = try row.decode((String, String).self)
        return fingerprint == payout.fingerprint ? .duplicate(latestStatus: status) : .conflict
    }

    private func reject(_ ref: String, event: NewEvent, now: Int64, on connection: PostgresConnection) async throws -> IntakeOutcome {
        // A rejection never touches an existing payout: same id, different content.
        let exists = try await connection.query("SELECT 1 FROM payouts WHERE reference_id = \(ref)", logger: logger).collect()
        if !exists.isEmpty { return .conflict }
        try await connection.query("""
            WITH event AS (
                INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at)
                VALUES (\(ref), 0, \(event.status), \(event.payload), \(event.occurredAt))
                ON CONFLICT (reference_id, sequence) DO NOTHING
            )
            INSERT INTO outbox (reference_id, sequence, enqueued_at) VALUES (\(ref), 0, \(now))
            """, logger: logger)
        return .rejected
    }
}
