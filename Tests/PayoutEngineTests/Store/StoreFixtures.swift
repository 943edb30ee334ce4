import PayoutEngine
import Synchronization

/// The suite's clock: every test passes explicit times, starting here.
let t0: Int64 = 1_700_000_000_000
let minute: Int64 = 60_000

func command(
    _ ref: String,
    amount: Int64 = 1_000,
    currency: String = "XAF",
    recipient: String = "+237600000001",
    readAt source: IntakeSource? = nil,
    at now: Int64 = t0
) -> IntakeItem {
    var payout = NewPayout(
        referenceID: ref,
        fingerprint: "\(amount)|\(currency)|\(recipient)",
        amountMinor: amount,
        currency: currency,
        state: #"{"step":"accepted"}"#,
        acceptedEvent: NewEvent(sequence: 1, status: .accepted, payload: #"{"id":"\#(ref):1"}"#, occurredAt: now)
    )
    payout.source = source
    return .command(payout)
}

func rejection(
    _ ref: String,
    reason: String = "INVALID_AMOUNT",
    readAt source: IntakeSource? = nil,
    at now: Int64 = t0
) -> IntakeItem {
    .rejection(
        referenceID: ref,
        event: NewEvent(
            sequence: 0,
            status: .failed,
            payload: #"{"id":"\#(ref):0","reason":"\#(reason)"}"#,
            occurredAt: now
        ),
        source: source
    )
}

/// The place of a record on the commands topic.
func place(_ partition: Int32, _ offset: Int64, topic: String = "payouts.commands") -> IntakeSource {
    IntakeSource(stream: topic, partition: partition, offset: offset)
}

/// A transition continuing `payout`'s event sequence with `eventCount` events of `status`.
func transition(
    _ payout: StoredPayout,
    owner: String,
    status: PayoutStatus = .processing,
    isFinal: Bool = false,
    reasonCode: String? = nil,
    eventCount: Int = 1,
    ledger: LedgerOperation = .none,
    nextAttemptAt: Int64 = t0 + minute,
    renewLeaseMilliseconds: Int64? = nil,
    incrementAttempts: Bool = true,
    at now: Int64 = t0
) -> PayoutTransition {
    let events = (0..<eventCount).map { offset in
        let sequence = payout.sequence + 1 + offset
        return NewEvent(
            sequence: sequence,
            status: status,
            payload: #"{"id":"\#(payout.referenceID):\#(sequence)"}"#,
            occurredAt: now
        )
    }
    return PayoutTransition(
        referenceID: payout.referenceID,
        leaseOwner: owner,
        state: #"{"step":"\#(status.rawValue.lowercased())"}"#,
        status: status,
        isFinal: isFinal,
        reasonCode: reasonCode,
        events: events,
        ledger: ledger,
        nextAttemptAt: nextAttemptAt,
        renewLeaseMilliseconds: renewLeaseMilliseconds,
        incrementAttempts: incrementAttempts
    )
}

/// Claims and marks sent everything in the outbox (one relay), returning what was published in order.
@discardableResult
func drainOutbox(_ store: any PayoutStore, owner: String = "drain", at now: Int64 = t0) async throws -> [OutboxEntry] {
    var published: [OutboxEntry] = []
    while true {
        let batch = try await store.claimOutbox(owner: owner, limit: 100, leaseMilliseconds: minute, now: now)
        if batch.isEmpty { return published }
        published += batch
        try await store.markSent(batch.map(\.outboxID), now: now)
    }
}

/// Claims the payout `ref` for `owner`, giving back any other due payout the claim took along.
func claimOnly(
    _ ref: String,
    _ store: any PayoutStore,
    owner: String,
    lease: Int64 = minute,
    at now: Int64 = t0
) async throws -> StoredPayout? {
    let claimed = try await store.claimDue(owner: owner, limit: 1_000, leaseMilliseconds: lease, now: now)
    for other in claimed where other.referenceID != ref {
        try await store.releaseLease(referenceID: other.referenceID, owner: owner)
    }
    return claimed.first { $0.referenceID == ref }
}

extension TransitionResult {
    var committed: StoredPayout? {
        if case .committed(let payout) = self { return payout }
        return nil
    }
}

/// Shared mutable state for the tasks of one test (a `Mutex` cannot be captured by escaping closures).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    var value: Value { mutex.withLock { $0 } }

    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
