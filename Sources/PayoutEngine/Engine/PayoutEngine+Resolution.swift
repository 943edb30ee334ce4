import DollrClient
import Foundation

/// Why an operator's resolution was refused. Nothing was written.
public enum ResolutionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A payout is resolved as COMPLETED or FAILED only.
    case unsupportedStatus(String)
    case missingNote
    case notFound(referenceID: String)
    case notUnderReview(referenceID: String, status: PayoutStatus)
    /// Leased right now: the engine is rechecking it, or another operator is resolving it.
    case busy(referenceID: String, owner: String)
    /// Dollr's answer contradicts the operator's; given with `force`, the operator's stands.
    case contradictsDollr(referenceID: String, requested: String, dollr: String)
    /// The payout changed while it was being resolved (its lease ran out); ask again.
    case changedMeanwhile(referenceID: String)
    case store(StoreError)

    public var description: String {
        switch self {
        case .unsupportedStatus(let status):
            "a payout under review is resolved as COMPLETED or FAILED, not \(status)"
        case .missingNote:
            "a resolution needs a note saying why (--note)"
        case .notFound(let reference):
            "no payout \(reference) in the store"
        case .notUnderReview(let reference, let status):
            "payout \(reference) is \(status.rawValue); only REQUIRES_REVIEW payouts can be resolved"
        case .busy(let reference, let owner):
            "payout \(reference) is being worked on by \(owner) (a recheck or another operator); try again in a minute"
        case .contradictsDollr(let reference, let requested, let dollr):
            "Dollr says payout \(reference) is \(dollr), you asked for \(requested); nothing was changed (add --force to resolve it as \(requested) anyway)"
        case .changedMeanwhile(let reference):
            "payout \(reference) changed while it was being resolved; look at it again"
        case .store(let error):
            "store: \(error)"
        }
    }
}

extension PayoutEngine {
    /// Resolves a payout under REQUIRES_REVIEW as COMPLETED (the hold is posted) or FAILED (it is
    /// voided), in one transaction with the terminal event (reason OPERATOR_RESOLVED) and an audit
    /// record. Dollr is asked first; an answer that contradicts the operator's refuses the
    /// resolution unless `force` is given. Returns the audit record written.
    public func resolveReview(
        referenceID: ReferenceID,
        as status: PayoutStatus,
        note: String,
        operator actor: String,
        force: Bool
    ) async throws(ResolutionError) -> ResolutionAudit {
        guard status == .completed || status == .failed else { throw .unsupportedStatus(status.rawValue) }
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty else { throw .missingNote }
        let key = referenceID.text
        let current: StoredPayout?
        do { current = try await store.payout(referenceID: key) } catch { throw .store(error) }
        guard let current else { throw .notFound(referenceID: key) }
        guard current.status == .requiresReview else {
            throw .notUnderReview(referenceID: key, status: current.status)
        }

        let (answer, answerText) = await askDollr(referenceID)
        if let said = answer?.status,
            (said == .completed && status == .failed) || (said == .failed && status == .completed), !force
        {
            throw .contradictsDollr(referenceID: key, requested: status.rawValue, dollr: said.rawValue)
        }

        let owner = "operator:\(actor)/\(UUID().uuidString.prefix(8).lowercased())"
        let claim: ResolutionClaim
        do {
            claim = try await store.claimForResolution(
                referenceID: key,
                owner: owner,
                leaseMilliseconds: configuration.leaseMilliseconds,
                now: clock.now()
            )
        } catch { throw .store(error) }
        let stored: StoredPayout
        switch claim {
        case .claimed(let row): stored = row
        case .notFound: throw .notFound(referenceID: key)
        case .notUnderReview(let now): throw .notUnderReview(referenceID: key, status: now)
        case .busy(let holder, _): throw .busy(referenceID: key, owner: holder)
        }
        let state: PayoutState
        do { state = try PayoutState.decode(stored.state) } catch {
            await release(key, owner: owner)
            throw .store(StoreError(.corrupt, "payout \(key) has an unreadable state: \(error)"))
        }
        let now = clock.now()
        let decision = machine.apply(.resolvedByOperator(status, dollrAnswer: answer), to: state, now: now)
        let contradicted =
            answer.map { ($0.status == .completed || $0.status == .failed) && $0.status.rawValue != status.rawValue }
            ?? false
        let audit = ResolutionAudit(
            referenceID: key,
            kind: .operator,
            actor: actor,
            note: note,
            providerAnswer: answerText,
            statusBefore: stored.status,
            statusAfter: decision.state.status,
            ledger: decision.ledger.auditText,
            forced: force && contradicted,
            recordedAt: now
        )
        let result: TransitionResult
        do { result = try await commit(decision, from: stored, now: now, audit: audit) } catch {
            // The recheck need not wait out the lease of a resolution that did not happen.
            await release(key, owner: owner)
            throw .store(error)
        }
        guard case .committed = result else { throw .changedMeanwhile(referenceID: key) }
        logger.notice(
            "payout resolved by an operator",
            metadata: [
                "reference_id": "\(key)", "status": "\(status.rawValue)", "operator": "\(actor)",
                "dollr": "\(answerText)",
            ]
        )
        return audit
    }

    private func release(_ referenceID: String, owner: String) async {
        do { try await store.releaseLease(referenceID: referenceID, owner: owner) } catch {
            logger.notice(
                "could not give the payout's lease back; it ends by itself",
                metadata: ["reference_id": "\(referenceID)"]
            )
        }
    }

    /// Dollr's word on the payout, and how the audit log writes it.
    private func askDollr(_ referenceID: ReferenceID) async -> (PayoutExecution?, String) {
        do throws(DollrError) {
            let execution = try await dollr.payoutStatus(referenceID: referenceID.uuid)
            return (execution, execution.status.rawValue)
        } catch .notFound {
            return (nil, "NOT_FOUND")
        } catch {
            return (nil, "UNAVAILABLE: \(error)")
        }
    }
}

extension LedgerOperation {
    /// How the audit log writes what a resolution did to the hold.
    var auditText: String {
        switch self {
        case .post(let debited): "posted \(debited)"
        case .void: "voided"
        case .hold(_, let amount): "held \(amount)"
        case .none: "none"
        }
    }
}
