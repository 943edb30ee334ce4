public import DollrClient
import Foundation
public import Logging
import Synchronization
import Tracing

/// Executes payouts: records commands (intake), then advances each one from recovery point to
/// recovery point against Dollr, committing every step to the store before the next foreign call.
///
/// Several engines (threads or processes) may share one store: leases make sure one engine at a
/// time advances a payout, and a crashed engine's payouts are resumed by another once its leases
/// expire. The engine knows nothing of Kafka: intake takes bytes, events leave through the outbox.
public final class PayoutEngine: Sendable {
    /// Test hook: called at every ``RecoveryPoint``; throw ``SimulatedCrash`` to stop there.
    public typealias CrashHook =
        @Sendable (_ point: RecoveryPoint, _ phase: PayoutPhase, _ referenceID: String) async throws -> Void

    public let store: any PayoutStore
    let dollr: DollrClient
    let configuration: EngineConfiguration
    let machine: PayoutStateMachine
    let decoder: CommandDecoder
    let logger: Logger
    let clock: StoreClock
    private let crashHook: CrashHook?
    private let observer: (any EngineObserver)?
    let wakeup = Wakeup()
    private let healthTracker = HealthTracker()
    private let stopping = Atomic<Bool>(false)
    private let inFlight = Atomic<Int>(0)
    private let claimRounds = Atomic<Int>(0)
    /// Tells this engine's leases from those of another process running under the same worker id
    /// (a restarted pod, two replicas configured alike).
    private let instance = String(UInt64.random(in: 0...UInt64.max) % 1_679_616, radix: 36)
    /// The reference_id the provider probe asks about: random, so it is never a payout's.
    private let probeReference = UUID()

    public init(
        store: any PayoutStore,
        dollr: DollrClient,
        configuration: EngineConfiguration,
        logger: Logger,
        clock: StoreClock = .system,
        observer: (any EngineObserver)? = nil,
        crashHook: CrashHook? = nil
    ) {
        let uncovered = configuration.commandPolicy.allowedCurrencies.filter {
            configuration.policy.fallbackFeeMinimums[$0] == nil
        }
        precondition(
            uncovered.isEmpty,
            "allowed currencies without a fallback fee minimum: \(uncovered.sorted()); a hold sized without Dollr's prediction could be smaller than its fee"
        )
        self.store = store
        self.dollr = dollr
        self.configuration = configuration
        self.machine = PayoutStateMachine(policy: configuration.policy)
        self.decoder = CommandDecoder(policy: configuration.commandPolicy)
        self.logger = logger
        self.clock = clock
        self.crashHook = crashHook
        self.observer = observer
    }

    public var health: EngineHealth { healthTracker.snapshot(now: clock.now()) }

    /// Payouts this instance is advancing right now.
    public var inFlightCount: Int { inFlight.load(ordering: .relaxed) }

    // MARK: - Execution

    /// Works due payouts until the task is cancelled or ``stop()`` is called, keeping at most
    /// `maximumInFlight` of them moving at once. Returns once in-flight payouts are parked.
    public func run() async {
        let probe = configuration.providerProbeInterval.map { interval in
            Task { await self.probeWhileIdle(every: interval) }
        }
        await withDiscardingTaskGroup { group in
            defer { probe?.cancel() }
            while !Task.isCancelled && !stopping.load(ordering: .relaxed) {
                let capacity = configuration.maximumInFlight - inFlight.load(ordering: .relaxed)
                var claimed: [StoredPayout] = []
                if capacity > 0 {
                    do {
                        claimed = try await store.claimDue(
                            owner: nextLeaseToken(),
                            limit: min(capacity, configuration.claimBatch),
                            leaseMilliseconds: configuration.leaseMilliseconds,
                            now: clock.now()
                        )
                    } catch {
                        logger.warning("claiming due payouts failed", metadata: ["error": "\(error)"])
                    }
                }
                for payout in claimed {
                    inFlight.add(1, ordering: .relaxed)
                    group.addTask {
                        await self.advance(payout)
                        self.inFlight.subtract(1, ordering: .relaxed)
                        self.wakeup.signal()
                    }
                }
                // A full batch suggests more is due: claim again at once. Otherwise wait for new
                // intake, a finished payout, or the idle interval.
                if claimed.count < configuration.claimBatch || capacity <= claimed.count {
                    await wakeup.wait(upTo: configuration.idleCheck)
                }
            }
        }
    }

    /// Checks that Dollr answers whenever nothing else has for `interval` (see
    /// ``EngineConfiguration/providerProbeInterval``).
    private func probeWhileIdle(every interval: Duration) async {
        let intervalMilliseconds = interval.wholeMilliseconds
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled || stopping.load(ordering: .relaxed) { return }
            if let age = healthTracker.millisecondsSinceEvidence(now: clock.now()), age < intervalMilliseconds {
                continue
            }
            let started = ContinuousClock.now
            let outcome = await performCall(.pollStatus(probeReference))
            let alert: EngineAlert?
            var succeeded = false
            switch outcome {
            case .polled, .failed(.notFound):
                alert = nil
                succeeded = true
            case .failed(.rateLimited(let retryAfter)):
                alert = .rateLimited(retryAfterMilliseconds: retryAfter.wholeMilliseconds)
            case .failed(.unauthorized): alert = .credentialsRejected
            case .failed(let error) where error.isTransient: alert = .providerUnavailable
            default: alert = nil  // an answer we did not expect, but an answer: Dollr is up
            }
            healthTracker.record(alert, now: clock.now(), succeeded: succeeded)
            observer?.providerCallFinished(
                call: "probe",
                outcome: succeeded ? "ok" : outcome.metricLabel,
                duration: ContinuousClock.now - started
            )
        }
    }

    /// Stops claiming, for good (a stop that arrives before ``run()`` starts still counts);
    /// payouts in flight finish their current step, commit it, and are parked
    /// (lease released) so that another worker, or this one restarted, resumes them.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        wakeup.signal()
    }

    /// The lease holder written by one claim round: the worker's name and a number no other round
    /// of this process uses. Commits are fenced by it, so a payout claimed again after its lease
    /// ran out, even by the same process (a task still finishing a slow call, another claiming
    /// it anew), is advanced by the newest claim only: the stale task's commit is refused. Without
    /// the number, the stale task could send a second execute, which Dollr would refuse as a duplicate.
    private func nextLeaseToken() -> String {
        "\(configuration.owner)/\(instance)-\(claimRounds.add(1, ordering: .relaxed).newValue)"
    }

    /// Claims and advances due payouts once, until none is due (for tests and tools).
    @discardableResult
    public func drainDue() async throws(StoreError) -> Int {
        var total = 0
        while true {
            let claimed = try await store.claimDue(
                owner: nextLeaseToken(),
                limit: configuration.claimBatch,
                leaseMilliseconds: configuration.leaseMilliseconds,
                now: clock.now()
            )
            if claimed.isEmpty { return total }
            total += claimed.count
            await withDiscardingTaskGroup { group in
                for payout in claimed { group.addTask { await self.advance(payout) } }
            }
        }
    }

    /// Advances one leased payout step by step until it is parked, final, or the lease is lost.
    func advance(_ claimed: StoredPayout) async {
        let state: PayoutState
        do {
            state = try PayoutState.decode(claimed.state)
        } catch {
            logger.error(
                "payout state is unreadable; leaving it for an operator",
                metadata: ["reference_id": "\(claimed.referenceID)", "error": "\(error)"]
            )
            return
        }
        // In the payout's trace, whichever worker takes it: every step is a span of it, and log
        // lines carry its ids.
        let trace = PayoutTrace.context(traceParent: state.traceParent, traceState: state.traceState)
        await ServiceContext.withValue(trace) { await advance(claimed, from: state, in: trace) }
    }

    private func advance(_ claimed: StoredPayout, from decoded: PayoutState, in trace: ServiceContext) async {
        var stored = claimed
        var state = decoded
        var followUp: EngineAction?
        do {
            while true {
                let action = followUp ?? machine.action(for: state)
                followUp = nil
                if case .none = action { return }
                let isCall = action != .markExecuting
                if isCall, !(try await leaseOutlastsCall(&stored, phase: state.phase)) { return }
                let span = InstrumentationSystem.tracer.startSpan(
                    "payout \(action.stepName)",
                    context: trace,
                    ofKind: .internal
                )
                defer { span.end() }
                span.attributes["payout.reference_id"] = stored.referenceID
                span.attributes["payout.phase"] = state.phase.rawValue
                if isCall { try await crashHook?(.beforeCall, state.phase, stored.referenceID) }
                let outcome = await ServiceContext.withValue(span.context) { await perform(action) }
                if outcome.isTransientFailure { span.setStatus(SpanStatus(code: .error, message: outcome.metricLabel)) }
                if isCall { try await crashHook?(.afterCall, state.phase, stored.referenceID) }

                let now = clock.now()
                let (decision, result) = try await decideAndCommit(outcome, state: state, stored: stored, now: now)
                guard case .committed(let row) = result else {
                    span.attributes["payout.lease_lost"] = true
                    observer?.leaseLost()
                    logger.notice(
                        "lease lost; another worker owns the payout now",
                        metadata: ["reference_id": "\(stored.referenceID)"]
                    )
                    return
                }
                span.attributes["payout.status"] = decision.state.status.rawValue
                stored = row
                state = decision.state
                recordCommitted(decision, outcome: outcome, referenceID: stored.referenceID, now: now)
                try await crashHook?(.afterCommit, state.phase, stored.referenceID)

                guard case .now = decision.schedule else { return }
                if stopping.load(ordering: .relaxed) {
                    // Park between steps: the committed recovery point is where the next owner starts.
                    try? await store.releaseLease(
                        referenceID: stored.referenceID,
                        owner: stored.leaseOwner ?? configuration.owner
                    )
                    return
                }
                followUp = decision.followUp
            }
        } catch is SimulatedCrash {
            logger.debug(
                "simulated crash",
                metadata: ["reference_id": "\(stored.referenceID)", "phase": "\(state.phase)"]
            )
        } catch {
            // A store failure: the last committed recovery point stands; retry once the lease expires.
            logger.warning(
                "store failure while advancing a payout",
                metadata: ["reference_id": "\(stored.referenceID)", "error": "\(error)"]
            )
        }
    }

    /// Whether the payout's lease outlasts a Dollr call started now, renewing it if it would not:
    /// a payout that waited in this worker (for a connection, behind a slow commit) keeps its
    /// lease, and only one that another claim took over, or that an operator settled, is left.
    private func leaseOutlastsCall(_ stored: inout StoredPayout, phase: PayoutPhase) async throws(StoreError) -> Bool {
        guard let deadline = stored.leaseExpiresAt,
            deadline - clock.now() < configuration.providerCallTimeoutMilliseconds
        else { return true }
        let renewed = try await store.renewLease(
            referenceID: stored.referenceID,
            owner: stored.leaseOwner ?? configuration.owner,
            leaseMilliseconds: configuration.leaseMilliseconds,
            now: clock.now()
        )
        guard let renewed else {
            observer?.leaseExpired()
            logger.notice(
                "lease gone before the next Dollr call; another claim owns the payout now",
                metadata: ["reference_id": "\(stored.referenceID)", "phase": "\(phase)"]
            )
            return false
        }
        stored.leaseExpiresAt = renewed
        return true
    }

    private func decideAndCommit(
        _ outcome: ActionOutcome,
        state: PayoutState,
        stored: StoredPayout,
        now: Int64
    ) async throws(StoreError) -> (decision: Decision, result: TransitionResult) {
        var decision = machine.apply(outcome, to: state, now: now)
        var result = try await commit(decision, from: stored, now: now)
        // The store refused the hold: decide again with that knowledge and commit that.
        switch result {
        case .insufficientFunds(let available):
            decision = machine.apply(.holdRefusedInsufficient(availableMinor: available), to: state, now: now)
            result = try await commit(decision, from: stored, now: now)
        case .walletUnknown:
            decision = machine.apply(.holdRefusedWalletUnknown, to: state, now: now)
            result = try await commit(decision, from: stored, now: now)
        default: break
        }
        return (decision, result)
    }

    private func recordCommitted(_ decision: Decision, outcome: ActionOutcome, referenceID: String, now: Int64) {
        let state = decision.state
        healthTracker.record(decision.alert, now: now, succeeded: !outcome.isTransientFailure)
        if case .post(let debited) = decision.ledger {
            reportLedgerMismatch(debited: debited, outcome: outcome, state: state)
        }
        if case .executed = outcome { healthTracker.recordExecuted() }
        if decision.emitsEvent, decision.schedule == .done || state.status == .requiresReview {
            observer?.payoutFinished(status: state.status, reason: state.reason?.code)
        }
        if decision.emitsEvent {
            logger.info(
                "payout status",
                metadata: [
                    "reference_id": "\(referenceID)", "status": "\(state.status.rawValue)",
                    "reason": "\(state.reason?.code.rawValue ?? "-")",
                ]
            )
        }
    }

    func commit(
        _ decision: Decision,
        from stored: StoredPayout,
        now: Int64,
        audit given: ResolutionAudit? = nil
    ) async throws(StoreError) -> TransitionResult {
        let state = decision.state
        var audit = given
        if audit == nil, stored.status == .requiresReview, decision.schedule == .done {
            // A recheck settled a payout under review: the audit log says so beside the operators' resolutions.
            audit = ResolutionAudit(
                referenceID: stored.referenceID,
                kind: .recheck,
                actor: "engine",
                note: state.reason?.message ?? "",
                providerAnswer: state.providerStatus ?? "-",
                statusBefore: stored.status,
                statusAfter: state.status,
                ledger: decision.ledger.auditText,
                forced: false,
                recordedAt: now
            )
        }
        var events: [NewEvent] = []
        if decision.emitsEvent {
            let sequence = stored.sequence + 1
            events.append(
                NewEvent(
                    sequence: sequence,
                    status: state.status,
                    payload: StatusEventPayload.build(state: state, sequence: sequence, occurredAt: now),
                    occurredAt: now,
                    traceParent: state.traceParent
                )
            )
        }
        let nextAttempt: Int64
        let renew: Int64?
        switch decision.schedule {
        case .now: (nextAttempt, renew) = (now, configuration.leaseMilliseconds)
        case .after(let delay): (nextAttempt, renew) = (now + delay, nil)
        case .done: (nextAttempt, renew) = (now, nil)
        // Never due: only an operator's resolution moves it.
        case .parked: (nextAttempt, renew) = (Int64.max, nil)
        }
        return try await store.commit(
            PayoutTransition(
                referenceID: stored.referenceID,
                leaseOwner: stored.leaseOwner ?? configuration.owner,
                state: state.encoded(),
                status: state.status,
                isFinal: decision.schedule == .done,
                reasonCode: state.reason?.code.rawValue,
                events: events,
                ledger: decision.ledger,
                nextAttemptAt: nextAttempt,
                renewLeaseMilliseconds: renew,
                incrementAttempts: true,
                audit: audit
            ),
            now: now
        )
    }

    /// A posted debit that the hold did not cover, or that is only the hold's estimate, means the
    /// ledger's available balance was (or is) overstated: the fallback fee minimums are too low,
    /// or Dollr charged in another currency. Said loudly, and counted.
    private func reportLedgerMismatch(debited: Int64, outcome: ActionOutcome, state: PayoutState) {
        let reported: Money?
        switch outcome {
        case .executed(let execution), .polled(let execution): reported = execution.payerAmount
        default: reported = nil
        }
        let mismatch: LedgerMismatch
        if let reported, reported.currency != state.currency {
            mismatch = .debitInOtherCurrency
        } else if let hold = state.holdMinor, debited > hold {
            mismatch = .debitExceededHold
        } else {
            return
        }
        logger.warning(
            "ledger mismatch: \(mismatch.description)",
            metadata: [
                "reference_id": "\(state.request.referenceID)", "currency": "\(state.currency.code)",
                "hold_minor": "\(state.holdMinor.map(String.init) ?? "-")", "debited_minor": "\(debited)",
            ]
        )
        observer?.ledgerMismatch(mismatch, currency: state.currency.code)
    }

    private func perform(_ action: EngineAction) async -> ActionOutcome {
        guard let observer, let name = action.callName else { return await performCall(action) }
        let started = ContinuousClock.now
        let outcome = await performCall(action)
        observer.providerCallFinished(call: name, outcome: outcome.metricLabel, duration: ContinuousClock.now - started)
        return outcome
    }

    private func performCall(_ action: EngineAction) async -> ActionOutcome {
        switch action {
        case .predictFee(nil):
            return .feePredicted(payerAmount: nil)
        case .predictFee(let query?):
            do {
                let prediction = try await dollr.predictAmountAndFees(query)
                return .feePredicted(payerAmount: prediction.largestDebit(of: query.baseAmount))
            } catch {
                return .feePredictionFailed(error)
            }
        case .createAccount(let request):
            do { return .accountCreated(id: try await dollr.createPaymentAccount(request).id) } catch {
                return .failed(error)
            }
        case .createSession(let request):
            do {
                let session = try await dollr.createPayoutSession(request)
                return .sessionCreated(id: session.id, walletID: session.walletID)
            } catch { return .failed(error) }
        case .markExecuting:
            return .markedExecuting
        case .execute(let request):
            do { return .executed(try await dollr.executePayout(request)) } catch { return .executeFailed(error) }
        case .pollStatus(let referenceID):
            do { return .polled(try await dollr.payoutStatus(referenceID: referenceID)) } catch {
                return .failed(error)
            }
        case .none:
            return .failed(.cancelled)
        }
    }
}

extension EngineAction {
    /// The step's name in its span: the call's, or the local step's.
    var stepName: String { callName ?? (self == .markExecuting ? "mark_executing" : "fallback_fee") }

    /// The Dollr call this action makes, as metrics name it; `nil` for local steps.
    var callName: String? {
        switch self {
        case .predictFee(let query): query == nil ? nil : "predict_fee"
        case .createAccount: "create_account"
        case .createSession: "create_session"
        case .execute: "execute"
        case .pollStatus: "status"
        case .markExecuting, .none: nil
        }
    }
}

extension ActionOutcome {
    /// The `outcome` label of the provider call metric: `ok`, or the error's kind.
    var metricLabel: String {
        switch self {
        case .failed(let error), .executeFailed(let error), .feePredictionFailed(let error): DollrErrorKind.of(error)
        default: "ok"
        }
    }
}

extension AmountAndFeesPrediction {
    /// The most the wallet may be debited as far as the prediction tells: the payer amount, or the
    /// base amount plus every fee quoted in the payer's currency, whichever is larger. Dollr
    /// documents the gateway and FX fees but not whether `payer_amount` already includes them, and
    /// a hold must never be the smaller of the two readings.
    func largestDebit(of base: Money) -> Money {
        let currency = payerAmount.currency
        guard base.currency == currency else { return payerAmount }
        let fees = [platformFee, gatewayFee, fxFee].compactMap { $0 }.filter { $0.currency == currency }
        let summed = fees.reduce(base.minorUnits) { $0 + $1.minorUnits }
        return summed > payerAmount.minorUnits ? Money(minorUnits: summed, currency: currency) : payerAmount
    }
}
