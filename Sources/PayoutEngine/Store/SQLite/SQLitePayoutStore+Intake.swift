import GRDB
import Logging

// Intake: a batch of commands and rejections recorded in one transaction, duplicates, conflicts and
// redeliveries classified.
extension SQLitePayoutStore {
    // MARK: - Intake

    func accept(_ items: [IntakeItem], now: Int64) async throws(StoreError) -> [IntakeOutcome] {
        guard !items.isEmpty else { return [] }
        try TransitionRules.checkIntake(items)
        return try await transaction("accept") { db in
            let statements = try IntakeStatements(db)
            // One lookup per chunk of the batch instead of a failed insert plus a select per
            // duplicate: a replay storm is mostly reads. Kept up to date as the batch inserts, so a
            // reference_id repeated within the batch is a duplicate of its first occurrence.
            var known = try Self.knownPayouts(db, referencedBy: items)

            var outcomes: [IntakeOutcome] = []
            outcomes.reserveCapacity(items.count)
            for item in items {
                let verdict = IntakeRule.classify(item, recorded: known[item.referenceID])
                let answered =
                    try verdict.asksSource
                    && Self.isRedelivery(of: item.referenceID, at: item.source, statements, now: now)
                switch verdict {
                case .new(let payout):
                    let event = try Self.insertAccepted(db, payout, statements, now: now)
                    known[payout.referenceID] = RecordedPayout(
                        fingerprint: payout.fingerprint,
                        sequence: event.sequence,
                        status: event.status,
                        source: payout.source
                    )
                case .duplicate(let latestSequence, _) where !answered:
                    try statements.enqueue.execute(arguments: [item.referenceID, latestSequence, now])
                case .rejected(let event) where !answered:
                    try Self.insertRejected(item.referenceID, event, statements, now: now)
                case .conflict, .redelivered, .duplicate, .rejected:
                    break  // nothing to write
                }
                outcomes.append(verdict.outcome(answeredAtSource: answered))
            }
            return .commit(outcomes)
        }
    }

    private struct IntakeStatements {
        let insertPayout: Statement
        let insertEvent: Statement
        let insertRejection: Statement
        let enqueue: Statement
        let findSource: Statement
        let recordSource: Statement

        init(_ db: Database) throws {
            insertPayout = try db.cachedStatement(
                sql: """
                    INSERT INTO payouts (\(SQLiteRecords.payoutColumns), source_topic, source_partition, source_offset)
                    VALUES (?, ?, ?, ?, ?, 0, NULL, ?, ?, 0, ?, NULL, NULL, ?, ?, ?, ?, ?)
                    ON CONFLICT (reference_id) DO NOTHING
                    """
            )
            insertEvent = try db.cachedStatement(
                sql: """
                    INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at, trace_parent) VALUES (?, ?, ?, ?, ?, ?)
                    """
            )
            insertRejection = try db.cachedStatement(
                sql: """
                    INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at, trace_parent) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (reference_id, sequence) DO NOTHING
                    """
            )
            enqueue = try db.cachedStatement(
                sql: "INSERT INTO outbox (reference_id, sequence, enqueued_at) VALUES (?, ?, ?)"
            )
            findSource = try db.cachedStatement(
                sql: """
                    SELECT reference_id FROM intake_sources WHERE source_topic = ? AND source_partition = ? AND source_offset = ?
                    """
            )
            // A place recorded under another reference_id belongs to a topic that started its
            // offsets over: the newer record takes the place.
            recordSource = try db.cachedStatement(
                sql: """
                    INSERT INTO intake_sources (source_topic, source_partition, source_offset, reference_id, recorded_at)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (source_topic, source_partition, source_offset)
                    DO UPDATE SET reference_id = excluded.reference_id, recorded_at = excluded.recorded_at
                    """
            )
        }
    }

    private static func knownPayouts(
        _ db: Database,
        referencedBy items: [IntakeItem]
    ) throws -> [String: RecordedPayout] {
        var known: [String: RecordedPayout] = [:]
        var references = Set<String>()
        for item in items {
            switch item {
            case .command(let payout): references.insert(payout.referenceID)
            case .rejection(let referenceID, _, _): references.insert(referenceID)
            }
        }
        let sortedReferences = references.sorted()
        for start in stride(from: 0, to: sortedReferences.count, by: Self.lookupChunk) {
            let chunk = Array(sortedReferences[start..<min(start + Self.lookupChunk, sortedReferences.count)])
            // Not cached: the last chunk's size varies from batch to batch.
            let lookup = try db.makeStatement(
                sql: """
                    SELECT reference_id, fingerprint, sequence, status, source_topic, source_partition, source_offset FROM payouts
                    WHERE reference_id IN (\(databaseQuestionMarks(count: chunk.count)))
                    """
            )
            let rows = try Row.fetchCursor(lookup, arguments: StatementArguments(chunk))
            while let row = try rows.next() {
                known[row[0]] = RecordedPayout(
                    fingerprint: row[1],
                    sequence: row[2],
                    status: try PayoutStatus(stored: row[3]),
                    source: IntakeSource(
                        stream: row[4] as String?,
                        partition: row[5] as Int32?,
                        offset: row[6] as Int64?
                    )
                )
            }
        }
        return known
    }

    /// Whether an item was already answered at `source`; if not, records that it is answered there
    /// (in the caller's transaction, so only together with the answer).
    private static func isRedelivery(
        of referenceID: String,
        at source: IntakeSource?,
        _ statements: IntakeStatements,
        now: Int64
    ) throws -> Bool {
        guard let source else { return false }
        let place: StatementArguments = [source.stream, source.partition, source.offset]
        if try String.fetchOne(statements.findSource, arguments: place) == referenceID { return true }
        try statements.recordSource.execute(arguments: place + [referenceID, now])
        return false
    }

    private static func insertAccepted(
        _ db: Database,
        _ payout: NewPayout,
        _ statements: IntakeStatements,
        now: Int64
    ) throws -> NewEvent {
        let event = payout.acceptedEvent
        try statements.insertPayout.execute(arguments: [
            payout.referenceID, payout.fingerprint, payout.amountMinor, payout.currency, event.status.rawValue,
            payout.state, event.sequence, now, now, now,
            payout.source?.stream, payout.source?.partition, payout.source?.offset,
        ])
        guard db.changesCount == 1 else {
            // The lookup ran in this same write transaction: nobody can have inserted it since.
            throw StoreError(.corrupt, "payout \(payout.referenceID) conflicts on insert but was not found")
        }
        try statements.insertEvent.execute(arguments: [
            payout.referenceID, event.sequence, event.status.rawValue, event.payload, event.occurredAt,
            event.traceParent,
        ])
        try statements.enqueue.execute(arguments: [payout.referenceID, event.sequence, now])
        return event
    }

    private static func insertRejected(
        _ referenceID: String,
        _ event: NewEvent,
        _ statements: IntakeStatements,
        now: Int64
    ) throws {
        try statements.insertRejection.execute(arguments: [
            referenceID, 0, event.status.rawValue, event.payload, event.occurredAt, event.traceParent,
        ])
        try statements.enqueue.execute(arguments: [referenceID, 0, now])
    }
}
