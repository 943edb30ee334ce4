import Tracing

// Intake: records decoded, recorded in one store transaction, and answered one by one.
extension PayoutEngine {
    /// Validates and durably records a batch of records in one store transaction, then wakes the
    /// executor. One result per record, in order.
    public func intake(_ records: [IntakeRecord]) async throws(StoreError) -> [IntakeResult] {
        let now = clock.now()
        let spans = IntakeSpans(records)
        let plans = records.indices.map { index in
            plan(records[index], trace: spans.trace(of: records[index], at: index), now: now)
        }
        let results: [IntakeResult]
        do {
            results = try Self.results(of: plans, answeredBy: try await accept(plans, now: now))
        } catch {
            spans.end(failing: error)
            throw error
        }
        spans.end(with: results)
        if results.contains(where: { if case .accepted = $0 { true } else { false } }) { wakeup.signal() }
        return results
    }

    /// What one record is: a command to record, a refusal to answer, or nothing usable.
    private func plan(_ record: IntakeRecord, trace: IntakeSpans.Trace?, now: Int64) -> IntakePlan {
        switch decoder.decode(key: record.key, value: record.value) {
        case .success(let command):
            var payout = Self.newPayout(command, trace: trace, now: now)
            payout.source = record.source
            return .command(payout, command.referenceID)
        case .failure(let rejection):
            guard let referenceID = rejection.referenceID else { return .invalid(rejection) }
            let event = Self.rejectedEvent(referenceID, rejection, trace: trace, now: now)
            return .rejection(
                .rejection(referenceID: referenceID.text, event: event, source: record.source),
                referenceID,
                rejection
            )
        }
    }

    /// The payout to record for a valid command. Its state and ACCEPTED event are built only if the
    /// store does not know the reference_id: a duplicate never pays for them.
    private static func newPayout(_ command: PayoutCommand, trace: IntakeSpans.Trace?, now: Int64) -> NewPayout {
        NewPayout(
            referenceID: command.referenceID.text,
            fingerprint: command.fingerprint,
            amountMinor: command.amount.minorUnits,
            currency: command.amount.currency.code,
            acceptedEventSequence: 1
        ) {
            var state = PayoutState(command: command, now: now)
            state.traceParent = trace?.parent
            state.traceState = trace?.state
            let accepted = NewEvent(
                sequence: 1,
                status: .accepted,
                payload: StatusEventPayload.build(state: state, sequence: 1, occurredAt: now),
                occurredAt: now,
                traceParent: trace?.parent
            )
            return (state.encoded(), accepted)
        }
    }

    /// The REJECTED event (sequence 0) answering a refused command that names its reference_id.
    private static func rejectedEvent(
        _ referenceID: ReferenceID,
        _ rejection: CommandRejection,
        trace: IntakeSpans.Trace?,
        now: Int64
    ) -> NewEvent {
        let payload = StatusEventPayload.rejection(
            referenceID: referenceID.text,
            amount: nil,
            reason: PayoutReason(.validationError, rejection.description),
            occurredAt: now
        )
        return NewEvent(sequence: 0, status: .rejected, payload: payload, occurredAt: now, traceParent: trace?.parent)
    }

    /// Records what can be recorded, in one transaction: one outcome per item, in order.
    private func accept(_ plans: [IntakePlan], now: Int64) async throws(StoreError) -> [IntakeOutcome] {
        let items = plans.compactMap(\.item)
        return items.isEmpty ? [] : try await store.accept(items, now: now)
    }

    /// Each record's result: its plan, and for each one the store was asked about, the store's
    /// outcome for it. Outcomes that do not answer the items one by one are the store's error.
    private static func results(
        of plans: [IntakePlan],
        answeredBy outcomes: [IntakeOutcome]
    ) throws(StoreError) -> [IntakeResult] {
        let asked = plans.count { $0.item != nil }
        guard outcomes.count == asked else {
            throw StoreError(.other, "accept answered \(outcomes.count) outcomes for \(asked) items")
        }
        var answers = outcomes.makeIterator()
        return try plans.map { plan throws(StoreError) in
            switch plan {
            case .invalid(let rejection):
                return .invalid(rejection)
            case .command(_, let referenceID), .rejection(_, let referenceID, _):
                // As many outcomes as items, checked above.
                guard let outcome = answers.next() else { throw StoreError(.other, "accept answered too few outcomes") }
                return try result(of: plan, referenceID, outcome)
            }
        }
    }

    private static func result(
        of plan: IntakePlan,
        _ referenceID: ReferenceID,
        _ outcome: IntakeOutcome
    ) throws(StoreError) -> IntakeResult {
        switch outcome {
        case .accepted: return .accepted(referenceID: referenceID)
        case .duplicate(let latest): return .duplicate(referenceID: referenceID, latestStatus: latest)
        case .conflict: return .conflict(referenceID: referenceID)
        case .redelivered: return .redelivered(referenceID: referenceID)
        case .rejected:
            guard case .rejection(_, _, let rejection) = plan else {
                throw StoreError(.other, "accept answered REJECTED for the command of \(referenceID)")
            }
            return .rejected(referenceID: referenceID, rejection)
        }
    }
}

/// What intake makes of one record before the store is asked.
private enum IntakePlan {
    /// A valid command: its payout, to record.
    case command(NewPayout, ReferenceID)
    /// A refused command that names its reference_id: its REJECTED event, to record.
    case rejection(IntakeItem, ReferenceID, CommandRejection)
    /// Names no usable reference_id: nothing to record; the record goes to the dead-letter path.
    case invalid(CommandRejection)

    /// What the store is asked to record, if anything.
    var item: IntakeItem? {
        switch self {
        case .command(let payout, _): .command(payout)
        case .rejection(let item, _, _): item
        case .invalid: nil
        }
    }
}

/// One span for the batch, and one per record in the trace upstream started (linked to the
/// batch); an accepted payout's trace continues from its record's span. Without a tracer no span
/// is made (this is the hot path), and upstream's traceparent is passed on as sent.
private struct IntakeSpans {
    typealias Trace = (parent: String, state: String?)

    let batch: (any Span)?
    let records: [(any Span)?]

    init(_ records: [IntakeRecord]) {
        let tracer = InstrumentationSystem.tracer
        let batch: (any Span)? =
            tracer is NoOpTracer ? nil : tracer.startSpan("payout intake batch", context: .topLevel, ofKind: .consumer)
        batch?.attributes["messaging.batch.message_count"] = records.count
        self.batch = batch
        self.records = records.map { record in
            guard let batch else { return nil }
            let span = tracer.startSpan(
                "payout intake",
                context: PayoutTrace.context(traceParent: record.traceParent, traceState: record.traceState),
                ofKind: .consumer
            )
            span.addLink(SpanLink(context: batch.context, attributes: [:]))
            return span
        }
    }

    /// The trace the record's payout and events carry: its span's, or upstream's as sent.
    func trace(of record: IntakeRecord, at index: Int) -> Trace? {
        records[index].flatMap { PayoutTrace.text(of: $0.context) }
            ?? record.traceParent.flatMap { PayoutTrace.isTraceParent($0) ? ($0, record.traceState) : nil }
    }

    func end(failing error: any Error) {
        for span in (records + [batch]).compactMap({ $0 }) {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            span.end()
        }
    }

    func end(with results: [IntakeResult]) {
        for case let (span?, result) in zip(records, results) {
            span.attributes["payout.intake.result"] = result.traceLabel
            if let reference = result.referenceID {
                span.attributes["payout.reference_id"] = reference.text
            }
            span.end()
        }
        batch?.end()
    }
}
