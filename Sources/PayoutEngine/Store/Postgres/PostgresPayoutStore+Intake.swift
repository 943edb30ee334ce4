import Logging
import PostgresNIO

// Intake: a batch of commands and rejections recorded in one transaction, duplicates, conflicts and
// redeliveries classified.
extension PostgresPayoutStore {
    // MARK: - Intake

    func accept(_ items: [IntakeItem], now: Int64) async throws(StoreError) -> [IntakeOutcome] {
        guard !items.isEmpty else { return [] }
        try TransitionRules.checkIntake(items)
        // A batch that finds some of its new payouts inserted by a concurrent intake runs again,
        // so that it locks them with the others, in order (see `acceptCommands`).
        for _ in 1...Self.intakeAttempts {
            if let outcomes = try await acceptOnce(items, now: now) { return outcomes }
        }
        throw StoreError(
            .conflict,
            "accept: the batch's payouts kept being inserted by concurrent intakes",
            isRetriable: true
        )
    }

    private static let intakeAttempts = 5

    /// One run of the batch's transaction; `nil` when it was rolled back to run again.
    private func acceptOnce(_ items: [IntakeItem], now: Int64) async throws(StoreError) -> [IntakeOutcome]? {
        if !items.contains(where: { if case .rejection = $0 { true } else { false } }) {
            return try await transaction("accept") { [self] connection -> TransactionDecision<[IntakeOutcome]?> in
                guard let outcomes = try await acceptCommands(items, now: now, on: connection) else {
                    return .rollback(nil)
                }
                return .commit(outcomes)
            }
        }
        // With rejections (rare), one reference at a time, so a rejection and a command of the
        // same reference_id keep their batch order.
        // Lock order: by reference_id (stable, so one reference's items keep their batch order).
        let order = items.indices.sorted { (items[$0].referenceID, $0) < (items[$1].referenceID, $1) }
        return try await transaction("accept") { [self] connection -> TransactionDecision<[IntakeOutcome]?> in
            var outcomes = [IntakeOutcome](repeating: .rejected, count: items.count)
            for index in order {
                switch items[index] {
                case .command:
                    guard let outcome = try await acceptCommands([items[index]], now: now, on: connection) else {
                        return .rollback(nil)
                    }
                    outcomes[index] = outcome[0]
                case .rejection(let referenceID, let event, let source):
                    outcomes[index] = try await reject(
                        referenceID,
                        event: event,
                        source: source,
                        now: now,
                        on: connection
                    )
                }
            }
            return .commit(outcomes)
        }
    }

    /// A batch of commands in a fixed number of round trips instead of one or two per command:
    /// 1. lock the batch's existing payouts (`FOR SHARE`, in the store's reference_id order): waits
    ///    for any in-flight transition, so the sequence read is the newest, and none can commit
    ///    after it until this transaction does;
    /// 2. insert the unknown ones with their ACCEPTED event and outbox entry, from arrays
    ///    (`unnest`), in reference_id order; one that a concurrent intake inserted meanwhile is
    ///    skipped (`ON CONFLICT DO NOTHING` waits for that insert). Locking it now would take a
    ///    payout row out of order, after higher ones, which an engine step group could be waiting
    ///    for while it holds this one: the batch answers `nil` instead and runs again;
    /// 3. tell redeliveries from upstream duplicates (see ``IntakeSource``) and re-enqueue the
    ///    latest event of every identical duplicate (a reference_id repeated in the batch is a
    ///    duplicate of its first occurrence), in one insert.
    private func acceptCommands(
        _ items: [IntakeItem],
        now: Int64,
        on connection: PostgresConnection
    ) async throws -> [IntakeOutcome]? {
        let payouts: [NewPayout] = items.map {
            if case .command(let payout) = $0 { payout } else { preconditionFailure("commands only") }
        }
        var known: [String: RecordedPayout] = [:]

        func lockExisting(_ references: [String]) async throws {
            guard !references.isEmpty else { return }
            let rows = try await connection.query(
                """
                SELECT reference_id, fingerprint, sequence, status, source_topic, source_partition, source_offset FROM payouts
                WHERE reference_id = ANY(\(references)) ORDER BY reference_id COLLATE "C" FOR SHARE
                """,
                logger: logger
            )
            for try await (reference, fingerprint, sequence, status, topic, partition, offset)
                in rows.decode((String, String, Int, String, String?, Int32?, Int64?).self)
            {
                known[reference] = RecordedPayout(
                    fingerprint: fingerprint,
                    sequence: sequence,
                    status: try PayoutStatus(stored: status),
                    source: IntakeSource(stream: topic, partition: partition, offset: offset)
                )
            }
        }
        try await lockExisting(Set(payouts.map(\.referenceID)).sorted())

        // The rule, item by item in batch order: the first occurrence of an unknown reference_id is
        // new, and a later one in the batch is answered against it as if it were recorded already.
        var verdicts: [IntakeVerdict] = []
        verdicts.reserveCapacity(payouts.count)
        for payout in payouts {
            let verdict = IntakeRule.classify(.command(payout), recorded: known[payout.referenceID])
            if case .new = verdict {
                known[payout.referenceID] = RecordedPayout(
                    fingerprint: payout.fingerprint,
                    sequence: payout.acceptedEventSequence,
                    status: payout.acceptedEvent.status,
                    source: payout.source
                )
            }
            verdicts.append(verdict)
        }

        // The new payouts, in reference_id order.
        let new = verdicts.compactMap { if case .new(let payout) = $0 { payout } else { nil } }
            .sorted { $0.referenceID < $1.referenceID }
        if !new.isEmpty {
            let events = new.map(\.acceptedEvent)
            let rows = try await connection.query(
                """
                WITH input AS (
                    SELECT * FROM unnest(\(new.map(\.referenceID))::text[], \(new.map(\.fingerprint))::text[],
                                         \(new.map(\.amountMinor))::int8[], \(new.map(\.currency))::text[],
                                         \(events.map(\.status.rawValue))::text[], \(new.map(\.state))::text[],
                                         \(events.map { Int64($0.sequence) })::int8[], \(events.map(\.payload))::text[],
                                         \(events.map(\.occurredAt))::int8[], \(events.map { $0.traceParent ?? "" })::text[],
                                         \(new.map { $0.source?.stream ?? "" })::text[],
                                         \(new.map { $0.source?.partition ?? -1 })::int4[],
                                         \(new.map { $0.source?.offset ?? -1 })::int8[])
                        AS i(reference_id, fingerprint, amount_minor, currency, status, state, sequence, payload, occurred_at, trace_parent,
                             source_topic, source_partition, source_offset)
                ), payout AS (
                    INSERT INTO payouts (\(unescaped: PostgresRecords.payoutColumns), source_topic, source_partition, source_offset)
                    SELECT reference_id, fingerprint, amount_minor, currency, status, FALSE, NULL,
                           state, sequence, 0, \(now), NULL, NULL, \(now), \(now),
                           NULLIF(source_topic, ''), NULLIF(source_partition, -1), NULLIF(source_offset, -1)
                    FROM input ORDER BY reference_id
                    ON CONFLICT (reference_id) DO NOTHING
                    RETURNING reference_id
                ), event AS (
                    INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at, trace_parent)
                    SELECT i.reference_id, i.sequence, i.status, i.payload, i.occurred_at, NULLIF(i.trace_parent, '')
                    FROM input i JOIN payout p ON p.reference_id = i.reference_id
                    ORDER BY i.reference_id
                    RETURNING reference_id, sequence
                )
                INSERT INTO outbox (reference_id, sequence, enqueued_at)
                SELECT reference_id, sequence, \(now) FROM event ORDER BY reference_id
                RETURNING reference_id
                """,
                logger: logger
            )
            var inserted = 0
            for try await _ in rows.decode(String.self) { inserted += 1 }
            // Inserted by a concurrent intake between 1 and 2: run again, to lock it in order.
            if inserted < new.count { return nil }
        }

        // Duplicates read at a place answered already are redeliveries (see `recordSources`).
        let answered = try await recordSources(
            zip(payouts, verdicts).compactMap { payout, verdict in
                verdict.asksSource ? payout.source.map { ($0, payout.referenceID) } : nil
            },
            now: now,
            on: connection
        )
        var outcomes: [IntakeOutcome] = []
        outcomes.reserveCapacity(payouts.count)
        var requeue: [(reference: String, sequence: Int)] = []
        for (payout, verdict) in zip(payouts, verdicts) {
            let answeredAtSource = verdict.asksSource && payout.source.map { !answered.contains($0) } == true
            let outcome = verdict.outcome(answeredAtSource: answeredAtSource)
            if case .duplicate(let latestSequence, _) = verdict, case .duplicate = outcome {
                requeue.append((payout.referenceID, latestSequence))
            }
            outcomes.append(outcome)
        }
        if !requeue.isEmpty {
            try await connection.query(
                """
                INSERT INTO outbox (reference_id, sequence, enqueued_at)
                SELECT reference_id, sequence, \(now)
                FROM unnest(\(requeue.map(\.reference))::text[], \(requeue.map { Int64($0.sequence) })::int8[]) AS r(reference_id, sequence)
                """,
                logger: logger
            )
        }
        return outcomes
    }

    /// Records that each item is answered at its source, and returns the sources newly recorded:
    /// a source missing from the result was recorded for the same reference_id before, so its item
    /// is a redelivery. `ON CONFLICT` waits for a concurrent intake of the same record, so two
    /// workers reading it at once answer it once. A source recorded under another reference_id
    /// belongs to a topic that started its offsets over: the newer record takes it.
    private func recordSources(
        _ items: [(source: IntakeSource, referenceID: String)],
        now: Int64,
        on connection: PostgresConnection
    ) async throws -> Set<IntakeSource> {
        guard !items.isEmpty else { return [] }
        // In place order, so two intakes of overlapping batches (two workers reading the same
        // records around a rebalance, their partitions interleaved differently) take these keys
        // in one order and never wait on each other in a cycle.
        let items = items.sorted {
            ($0.source.stream, $0.source.partition, $0.source.offset) < (
                $1.source.stream, $1.source.partition, $1.source.offset
            )
        }
        let rows = try await connection.query(
            """
            INSERT INTO intake_sources (source_topic, source_partition, source_offset, reference_id, recorded_at)
            SELECT source_topic, source_partition, source_offset, reference_id, \(now)
            FROM unnest(\(items.map(\.source.stream))::text[], \(items.map(\.source.partition))::int4[],
                        \(items.map(\.source.offset))::int8[], \(items.map(\.referenceID))::text[])
                AS i(source_topic, source_partition, source_offset, reference_id)
            ON CONFLICT (source_topic, source_partition, source_offset)
            DO UPDATE SET reference_id = EXCLUDED.reference_id, recorded_at = EXCLUDED.recorded_at
                WHERE intake_sources.reference_id <> EXCLUDED.reference_id
            RETURNING source_topic, source_partition, source_offset
            """,
            logger: logger
        )
        var recorded = Set<IntakeSource>()
        for try await (topic, partition, offset) in rows.decode((String, Int32, Int64).self) {
            recorded.insert(IntakeSource(stream: topic, partition: partition, offset: offset))
        }
        return recorded
    }

    private func reject(
        _ ref: String,
        event: NewEvent,
        source: IntakeSource?,
        now: Int64,
        on connection: PostgresConnection
    ) async throws -> IntakeOutcome {
        let rows = try await connection.query(
            """
            SELECT fingerprint, sequence, status, source_topic, source_partition, source_offset FROM payouts
            WHERE reference_id = \(ref)
            """,
            logger: logger
        ).collect()
        let recorded = try rows.first.map { row in
            let (fingerprint, sequence, status, topic, partition, offset) = try row.decode(
                (String, Int, String, String?, Int32?, Int64?).self
            )
            return RecordedPayout(
                fingerprint: fingerprint,
                sequence: sequence,
                status: try PayoutStatus(stored: status),
                source: IntakeSource(stream: topic, partition: partition, offset: offset)
            )
        }
        let verdict = IntakeRule.classify(
            .rejection(referenceID: ref, event: event, source: source),
            recorded: recorded
        )
        var answeredAtSource = false
        if verdict.asksSource, let source {
            answeredAtSource = try await recordSources([(source, ref)], now: now, on: connection).isEmpty
        }
        let outcome = verdict.outcome(answeredAtSource: answeredAtSource)
        guard case .rejected = outcome else { return outcome }
        try await connection.query(
            """
            WITH event AS (
                INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at, trace_parent)
                VALUES (\(ref), 0, \(event.status.rawValue), \(event.payload), \(event.occurredAt), \(event.traceParent))
                ON CONFLICT (reference_id, sequence) DO NOTHING
            )
            INSERT INTO outbox (reference_id, sequence, enqueued_at) VALUES (\(ref), 0, \(now))
            """,
            logger: logger
        )
        return .rejected
    }
}
