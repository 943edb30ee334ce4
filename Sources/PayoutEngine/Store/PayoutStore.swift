import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Durable state of the payout engine: payouts, their status events, the outbox that publishes
/// them, and the wallet ledger. Two implementations pass one conformance suite: SQLite (embedded,
/// one worker process) and PostgreSQL (several worker processes sharing one database).
///
/// The store knows nothing of Dollr or Kafka. Payout progress is an opaque JSON document owned by
/// the engine (`StoredPayout.state`); the store guarantees atomicity, uniqueness and fencing:
/// - a `reference_id` is recorded at most once (unique key), whatever races intake;
/// - every transition (state, events, ledger operation) commits atomically or not at all;
/// - a transition commits only while the caller holds the payout's lease, so a worker that lost
///   its lease (paused, partitioned, presumed dead) can never overwrite the new owner's work;
/// - a hold is placed only if the wallet's available balance covers it, across threads and processes.
///
/// Timestamps are milliseconds since the Unix epoch, supplied by the caller (see ``StoreClock``).
public protocol PayoutStore: Sendable {
    /// Creates or upgrades the schema (versioned migrations, each applied once, in order).
    func migrate() async throws(StoreError)

    /// Records a batch of intake items in one transaction and says what happened to each, in order.
    /// - New command: inserts the payout and its first event (sequence 1), enqueues the event.
    /// - Same `reference_id`, same `fingerprint`: no change; re-enqueues the latest event unchanged.
    /// - Same `reference_id`, different `fingerprint`: no change; reports the conflict.
    /// - Rejection: records its event as sequence 0 (once per reference_id; later rejections
    ///   re-enqueue the first) and enqueues it. It does not reserve the `reference_id`.
    /// - An item read again at the ``IntakeSource`` of a command or rejection already recorded for
    ///   its `reference_id` is a redelivery: nothing changes and nothing is enqueued. Items without
    ///   a source are never redeliveries.
    func accept(_ items: [IntakeItem], now: Int64) async throws(StoreError) -> [IntakeOutcome]

    /// Leases up to `limit` unfinished payouts whose `nextAttemptAt` has come and whose lease is free
    /// or expired, oldest due first. Concurrent callers never receive the same payout.
    func claimDue(
        owner: String,
        limit: Int,
        leaseMilliseconds: Int64,
        now: Int64
    ) async throws(StoreError) -> [StoredPayout]

    /// Applies one transition atomically, fenced by the lease (owner matches and not expired).
    func commit(_ transition: PayoutTransition, now: Int64) async throws(StoreError) -> TransitionResult

    /// Gives a lease back early (graceful shutdown); the payout becomes claimable at `nextAttemptAt`.
    func releaseLease(referenceID: String, owner: String) async throws(StoreError)

    /// Extends a lease this owner still holds to `now + leaseMilliseconds` and returns its new
    /// expiry, or `nil` when the owner no longer holds it (claimed by another, released, final).
    /// A lease that ran out but that nobody claimed since is still this owner's: no one else can
    /// have worked the payout, so renewing it is safe.
    func renewLease(
        referenceID: String,
        owner: String,
        leaseMilliseconds: Int64,
        now: Int64
    ) async throws(StoreError) -> Int64?

    /// Leases up to `limit` enqueued, unsent outbox entries for publishing. Only the oldest unsent
    /// entry of each reference_id is eligible, so events of one payout are published in order even
    /// with several relays.
    func claimOutbox(
        owner: String,
        limit: Int,
        leaseMilliseconds: Int64,
        now: Int64
    ) async throws(StoreError) -> [OutboxEntry]

    /// Marks outbox entries published (after the broker acknowledged them).
    func markSent(_ outboxIDs: [Int64], now: Int64) async throws(StoreError)

    /// Entries enqueued and not yet marked sent.
    func outboxBacklog() async throws(StoreError) -> Int

    /// Declares (or re-declares) a wallet's balance as the operator knows it. One wallet per currency.
    func setWallet(id: String, currency: String, balanceMinor: Int64, now: Int64) async throws(StoreError)

    /// Every wallet with its declared balance, pending holds and available balance.
    func wallets() async throws(StoreError) -> [WalletBalance]

    func payout(referenceID: String) async throws(StoreError) -> StoredPayout?

    /// Keeps dead letters the dead-letter topic refused for good. A letter whose source
    /// (topic, partition, offset) is kept already is not kept twice: a batch read again after a
    /// crash keeps nothing new.
    func keepDeadLetters(_ letters: [KeptDeadLetter]) async throws(StoreError)

    /// Kept dead letters by id, the unsent ones only if asked, at most `limit`.
    func keptDeadLetters(unsentOnly: Bool, limit: Int) async throws(StoreError) -> [KeptDeadLetter]

    /// Marks kept dead letters sent (after the topic acknowledged them).
    func markDeadLettersSent(_ ids: [Int64], now: Int64) async throws(StoreError)

    /// Kept dead letters not yet sent.
    func unsentDeadLetterCount() async throws(StoreError) -> Int

    /// Every event recorded for a reference_id, by sequence.
    func events(referenceID: String) async throws(StoreError) -> [StoredEvent]

    /// Events for a replay, ordered by reference_id, then sequence: those of one reference_id, or
    /// those that occurred at or after `since`; at most `limit`, after `cursor` (the last one of
    /// the previous page).
    func eventsForReplay(
        referenceID: String?,
        since: Int64?,
        after cursor: EventCursor?,
        limit: Int
    ) async throws(StoreError) -> [StoredEvent]

    func hold(referenceID: String) async throws(StoreError) -> StoredHold?

    /// Counts of payouts by public status (for metrics and the demo summary).
    func countsByStatus() async throws(StoreError) -> [PayoutStatus: Int]

    /// Payouts that reached COMPLETED, FAILED or REQUIRES_REVIEW at or after `since`, per minute
    /// and status; minutes without any are left out.
    func finishedPerMinute(since: Int64) async throws(StoreError) -> [FinishedMinute]

    /// The owners of payout leases that have not expired at `now`, with how many each holds.
    func leaseHolders(now: Int64) async throws(StoreError) -> [LeaseHolder]

    // MARK: Review and resolution

    /// Leases a payout for an operator's resolution: only one in REQUIRES_REVIEW whose lease is
    /// free or expired. The engine's recheck and other operators are fenced out until the lease
    /// ends or the resolution commits.
    func claimForResolution(
        referenceID: String,
        owner: String,
        leaseMilliseconds: Int64,
        now: Int64
    ) async throws(StoreError) -> ResolutionClaim

    /// Payouts, the REQUIRES_REVIEW ones first (longest waiting first), then the newest; only those
    /// of `status` if given, and only those created at or after `since`.
    func listPayouts(status: PayoutStatus?, since: Int64?, limit: Int) async throws(StoreError) -> [PayoutListing]

    /// How many payouts wait in REQUIRES_REVIEW, and since when the oldest does.
    func reviewQueue() async throws(StoreError) -> ReviewQueueSummary

    /// The audit log, oldest first: one reference_id's records, or the latest `limit` of all.
    func auditRecords(referenceID: String?, limit: Int) async throws(StoreError) -> [ResolutionAudit]

    /// Resolutions recorded so far, by kind (the audit log is append-only, so these only grow).
    func resolutionCounts() async throws(StoreError) -> [ResolutionAudit.Kind: Int]

    // MARK: Retention

    /// Deletes up to `limit` rows of `target` older than `before` and returns how many; with
    /// `dryRun`, deletes nothing and returns how many rows are prunable now, all of them.
    func prune(_ target: PruneTarget, before: Int64, limit: Int, dryRun: Bool) async throws(StoreError) -> Int

    /// Terminal payouts last changed before `before` whose recipient details are still stored.
    func payoutsToScrub(before: Int64, limit: Int) async throws(StoreError) -> [StoredPayout]

    /// How many payouts ``payoutsToScrub(before:limit:)`` would find, without a limit.
    func countPayoutsToScrub(before: Int64) async throws(StoreError) -> Int

    /// Replaces a terminal payout's state with `state` (the recipient details taken out) and marks
    /// it scrubbed. False if the payout is not terminal or was scrubbed already.
    func markScrubbed(referenceID: String, state: String, now: Int64) async throws(StoreError) -> Bool

    /// Rows per table, for the metrics.
    func tableRowCounts() async throws(StoreError) -> [String: Int]

    /// Releases the store's resources (database handles, connection pool). Idempotent; every
    /// other call fails after it. Call it before the process exits so PostgreSQL connections
    /// end cleanly instead of being reset.
    func close() async

    /// Lock waits the store gave up on since it opened (a deadlock, a lock or statement timeout).
    var lockConflicts: StoreLockConflicts { get }
}

// MARK: - Records

/// A payout as stored. `state` is the engine's JSON document; the other fields are denormalised
/// for querying, leasing and operators.
public struct StoredPayout: Sendable, Hashable {
    public var referenceID: String
    /// Canonical text of what makes two commands "the same": amount, currency and recipient.
    public var fingerprint: String
    public var amountMinor: Int64
    public var currency: String
    /// Public status of the latest event: ACCEPTED, PENDING, PROCESSING, COMPLETED, FAILED, REQUIRES_REVIEW.
    public var status: PayoutStatus
    /// Whether the payout reached a final status (no more work is scheduled).
    public var isFinal: Bool
    public var reasonCode: String?
    public var state: String
    /// Sequence of the latest event (1 after acceptance).
    public var sequence: Int
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var leaseOwner: String?
    public var leaseExpiresAt: Int64?
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        referenceID: String,
        fingerprint: String,
        amountMinor: Int64,
        currency: String,
        status: PayoutStatus,
        isFinal: Bool,
        reasonCode: String?,
        state: String,
        sequence: Int,
        attempts: Int,
        nextAttemptAt: Int64,
        leaseOwner: String?,
        leaseExpiresAt: Int64?,
        createdAt: Int64,
        updatedAt: Int64
    ) {
        self.referenceID = referenceID
        self.fingerprint = fingerprint
        self.amountMinor = amountMinor
        self.currency = currency
        self.status = status
        self.isFinal = isFinal
        self.reasonCode = reasonCode
        self.state = state
        self.sequence = sequence
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A status event to record. Its `payload` is the complete event body, built by the engine.
public struct NewEvent: Sendable, Hashable {
    public var sequence: Int
    public var status: PayoutStatus
    public var payload: String
    public var occurredAt: Int64
    /// The W3C `traceparent` of the payout's trace, sent as `ce_traceparent`; nil if none is known.
    public var traceParent: String?

    public init(sequence: Int, status: PayoutStatus, payload: String, occurredAt: Int64, traceParent: String? = nil) {
        self.sequence = sequence
        self.status = status
        self.payload = payload
        self.occurredAt = occurredAt
        self.traceParent = traceParent
    }
}

/// An event as recorded; its id on the wire is `<referenceID>:<sequence>`.
public struct StoredEvent: Sendable, Hashable {
    public var referenceID: String
    public var sequence: Int
    public var status: PayoutStatus
    public var payload: String
    public var occurredAt: Int64
    /// The W3C `traceparent` recorded with it (see ``NewEvent/traceParent``).
    public var traceParent: String?

    public init(
        referenceID: String,
        sequence: Int,
        status: PayoutStatus,
        payload: String,
        occurredAt: Int64,
        traceParent: String? = nil
    ) {
        self.referenceID = referenceID
        self.sequence = sequence
        self.status = status
        self.payload = payload
        self.occurredAt = occurredAt
        self.traceParent = traceParent
    }

    public var eventID: String { "\(referenceID):\(sequence)" }
}

/// An outbox entry: one publication of one event (a re-emitted event is a second entry).
public struct OutboxEntry: Sendable, Hashable {
    public var outboxID: Int64
    public var event: StoredEvent

    public init(outboxID: Int64, event: StoredEvent) {
        self.outboxID = outboxID
        self.event = event
    }
}

public struct NewPayout: Sendable, Hashable {
    public var referenceID: String
    public var fingerprint: String
    public var amountMinor: Int64
    public var currency: String
    /// Where the command was read, if it was read from a stream.
    public var source: IntakeSource?
    /// The state document and the ACCEPTED event, built on first use: a store reads them only for
    /// a reference_id it does not know yet, so a duplicate never pays for building them.
    private var content: NewPayoutContent

    public var state: String {
        get { content.value.state }
        set { content = NewPayoutContent(state: newValue, acceptedEvent: acceptedEvent) }
    }

    /// The ACCEPTED event's sequence, known without building the event.
    public var acceptedEventSequence: Int { content.sequence }

    /// The ACCEPTED event (sequence 1).
    public var acceptedEvent: NewEvent {
        get { content.value.acceptedEvent }
        set { content = NewPayoutContent(state: state, acceptedEvent: newValue) }
    }

    public init(
        referenceID: String,
        fingerprint: String,
        amountMinor: Int64,
        currency: String,
        state: String,
        acceptedEvent: NewEvent
    ) {
        self.referenceID = referenceID
        self.fingerprint = fingerprint
        self.amountMinor = amountMinor
        self.currency = currency
        self.content = NewPayoutContent(state: state, acceptedEvent: acceptedEvent)
    }

    /// State and event are built by `build`, at most once, when a store first reads them; the
    /// event it builds must have `acceptedEventSequence`.
    init(
        referenceID: String,
        fingerprint: String,
        amountMinor: Int64,
        currency: String,
        acceptedEventSequence: Int,
        build: @escaping @Sendable () -> (state: String, acceptedEvent: NewEvent)
    ) {
        self.referenceID = referenceID
        self.fingerprint = fingerprint
        self.amountMinor = amountMinor
        self.currency = currency
        self.content = NewPayoutContent(sequence: acceptedEventSequence, build: build)
    }

    public static func == (lhs: NewPayout, rhs: NewPayout) -> Bool {
        lhs.referenceID == rhs.referenceID && lhs.fingerprint == rhs.fingerprint && lhs.amountMinor == rhs.amountMinor
            && lhs.currency == rhs.currency && lhs.source == rhs.source && lhs.state == rhs.state
            && lhs.acceptedEvent == rhs.acceptedEvent
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(referenceID)
        hasher.combine(fingerprint)
        hasher.combine(amountMinor)
        hasher.combine(currency)
        hasher.combine(source)
        hasher.combine(state)
        hasher.combine(acceptedEvent)
    }
}

/// A ``NewPayout``'s state and ACCEPTED event, given or built once on first read (by any thread).
private final class NewPayoutContent: Sendable {
    typealias Value = (state: String, acceptedEvent: NewEvent)

    private enum Content {
        case built(Value)
        case pending(@Sendable () -> Value)
    }

    let sequence: Int
    private let content: Mutex<Content>

    init(state: String, acceptedEvent: NewEvent) {
        sequence = acceptedEvent.sequence
        content = Mutex(.built((state, acceptedEvent)))
    }

    init(sequence: Int, build: @escaping @Sendable () -> Value) {
        self.sequence = sequence
        content = Mutex(.pending(build))
    }

    var value: Value {
        content.withLock { content in
            switch content {
            case .built(let value):
                return value
            case .pending(let build):
                let value = build()
                precondition(
                    value.acceptedEvent.sequence == sequence,
                    "built ACCEPTED event has another sequence than declared"
                )
                content = .built(value)
                return value
            }
        }
    }
}

public enum IntakeItem: Sendable, Hashable {
    case command(NewPayout)
    /// A command that failed validation but carries a usable reference_id; `event.sequence` is 0.
    case rejection(referenceID: String, event: NewEvent, source: IntakeSource? = nil)

    var referenceID: String {
        switch self {
        case .command(let payout): payout.referenceID
        case .rejection(let referenceID, _, _): referenceID
        }
    }

    var source: IntakeSource? {
        switch self {
        case .command(let payout): payout.source
        case .rejection(_, _, let source): source
        }
    }
}

public enum IntakeOutcome: Sendable, Hashable {
    case accepted
    /// Identical duplicate: the latest event was re-enqueued.
    case duplicate(latestStatus: PayoutStatus)
    /// Same reference_id, different content; the original is untouched.
    case conflict
    case rejected
    /// Read again where it was read before (see ``IntakeSource``): nothing changed, nothing enqueued.
    case redelivered
}

/// What a transition does to the wallet ledger, atomically with the state change.
public enum LedgerOperation: Sendable, Hashable {
    case none
    /// Reserve `amountMinor` on the wallet of `currency`; fails the transition if not covered.
    case hold(currency: String, amountMinor: Int64)
    /// Settle the hold: the wallet balance drops by `debitedMinor` (what the provider reports).
    case post(debitedMinor: Int64)
    /// Release the hold untouched.
    case void
}

public struct PayoutTransition: Sendable, Hashable {
    public var referenceID: String
    public var leaseOwner: String
    /// The state document after the transition.
    public var state: String
    public var status: PayoutStatus
    public var isFinal: Bool
    public var reasonCode: String?
    /// Events this transition emits, with sequences continuing from the stored one.
    public var events: [NewEvent]
    public var ledger: LedgerOperation
    /// When the payout should next be worked on (ignored when final).
    public var nextAttemptAt: Int64
    /// Extend the lease to `now + leaseMilliseconds`; `nil` releases it.
    public var renewLeaseMilliseconds: Int64?
    public var incrementAttempts: Bool
    /// The resolution this transition records, appended to the audit log with it.
    public var audit: ResolutionAudit?

    public init(
        referenceID: String,
        leaseOwner: String,
        state: String,
        status: PayoutStatus,
        isFinal: Bool,
        reasonCode: String?,
        events: [NewEvent],
        ledger: LedgerOperation,
        nextAttemptAt: Int64,
        renewLeaseMilliseconds: Int64?,
        incrementAttempts: Bool,
        audit: ResolutionAudit? = nil
    ) {
        self.referenceID = referenceID
        self.leaseOwner = leaseOwner
        self.state = state
        self.status = status
        self.isFinal = isFinal
        self.reasonCode = reasonCode
        self.events = events
        self.ledger = ledger
        self.nextAttemptAt = nextAttemptAt
        self.renewLeaseMilliseconds = renewLeaseMilliseconds
        self.incrementAttempts = incrementAttempts
        self.audit = audit
    }
}

public enum TransitionResult: Sendable, Hashable {
    case committed(StoredPayout)
    /// The caller no longer holds the lease; nothing was written.
    case leaseLost
    /// `.hold` could not be covered; nothing was written. `availableMinor` is what the wallet had.
    case insufficientFunds(availableMinor: Int64)
    /// `.hold` for a currency with no declared wallet; nothing was written.
    case walletUnknown
}

public struct WalletBalance: Sendable, Hashable {
    public var walletID: String
    public var currency: String
    public var balanceMinor: Int64
    public var heldMinor: Int64
    public var availableMinor: Int64 { balanceMinor - heldMinor }

    public init(walletID: String, currency: String, balanceMinor: Int64, heldMinor: Int64) {
        self.walletID = walletID
        self.currency = currency
        self.balanceMinor = balanceMinor
        self.heldMinor = heldMinor
    }
}

public struct StoredHold: Sendable, Hashable {
    public enum State: String, Sendable { case pending, posted, voided }
    public var referenceID: String
    public var walletID: String
    public var amountMinor: Int64
    public var state: State
    /// What was debited when posted.
    public var settledMinor: Int64?

    public init(referenceID: String, walletID: String, amountMinor: Int64, state: State, settledMinor: Int64?) {
        self.referenceID = referenceID
        self.walletID = walletID
        self.amountMinor = amountMinor
        self.state = state
        self.settledMinor = settledMinor
    }
}

/// Store failures. `isRetriable` is true for conditions a retry may clear (serialization failures,
/// lost connections, busy database).
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable { case connection, conflict, migration, invalidURL, corrupt, other }
    public var kind: Kind
    public var message: String
    public var isRetriable: Bool

    public init(_ kind: Kind, _ message: String, isRetriable: Bool = false) {
        self.kind = kind
        self.message = message
        self.isRetriable = isRetriable
    }

    public var description: String { "store error (\(kind)): \(message)" }
}

/// Wall-clock milliseconds, injectable so tests can move time.
public struct StoreClock: Sendable {
    public var now: @Sendable () -> Int64

    public init(now: @escaping @Sendable () -> Int64) { self.now = now }

    public static let system = StoreClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
