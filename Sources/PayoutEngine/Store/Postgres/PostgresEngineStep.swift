import PostgresNIO

/// An engine step on PostgreSQL as one call of a server-side function, `payout_step`.
///
/// Why a function: every statement costs the worker a round trip and a hop between its event loop
/// and its tasks, and a ledger step holds the wallet's row lock, which every payout of the currency
/// needs, across every statement that follows it until its group commits. Sent statement by
/// statement, a hold would be a savepoint, the fenced update, the wallet lock, the check and insert
/// and the savepoint's release; as one call it is one round trip, and the lock is held only inside
/// it and through the group's remaining calls and COMMIT.
///
/// What the function guarantees, in the store's lock order (payout row, then wallet row):
/// - its body is a PL/pgSQL block with an exception handler, so it runs as a subtransaction: a
///   refusal or an error rolls back everything it wrote and releases the locks it took, and the
///   group's transaction goes on. No savepoint is needed around it;
/// - refusals are raised with the store's own SQLSTATEs (class `PW`) and reported as the call's
///   outcome, with the figure the refusal carries (the stored sequence, the available balance, the
///   hold's state);
/// - a hold locks the wallet row, then sums pending holds in a later statement: each statement of a
///   volatile function takes a fresh snapshot under READ COMMITTED, so the sum includes every hold
///   committed before the lock was granted and two holds never share one available balance.
///
/// The function's text is part of migration 7: a change to it is a new migration
/// (`CREATE OR REPLACE FUNCTION`), never an edit of this one.
enum PostgresEngineStep {
    static let function = """
        CREATE FUNCTION payout_step(
            p_reference_id TEXT, p_lease_owner TEXT, p_now BIGINT,
            p_state TEXT, p_status TEXT, p_is_final BOOLEAN, p_reason_code TEXT, p_next_attempt_at BIGINT,
            p_renewed_owner TEXT, p_lease_until BIGINT, p_increment_attempts BIGINT,
            p_event_sequences BIGINT[], p_event_statuses TEXT[], p_event_payloads TEXT[], p_event_times BIGINT[],
            p_event_traces TEXT[],
            p_ledger TEXT, p_currency TEXT, p_amount_minor BIGINT,
            p_audit_reference_id TEXT, p_audit_kind TEXT, p_audit_actor TEXT, p_audit_note TEXT, p_audit_provider_answer TEXT,
            p_audit_status_before TEXT, p_audit_status_after TEXT, p_audit_ledger TEXT, p_audit_forced BOOLEAN,
            p_audit_recorded_at BIGINT
        ) RETURNS TABLE (
            r_reference_id TEXT, r_fingerprint TEXT, r_amount_minor BIGINT, r_currency TEXT, r_status TEXT, r_is_final BOOLEAN,
            r_reason_code TEXT, r_state TEXT, r_sequence INTEGER, r_attempts INTEGER, r_next_attempt_at BIGINT,
            r_lease_owner TEXT, r_lease_expires_at BIGINT, r_created_at BIGINT, r_updated_at BIGINT,
            r_outcome TEXT, r_detail TEXT, r_figure BIGINT
        ) LANGUAGE plpgsql VOLATILE AS $$
        DECLARE
            v_sequence INTEGER;
            v_owner TEXT;
            v_expires BIGINT;
            v_wallet TEXT;
            v_balance BIGINT;
            v_held BIGINT;
            v_hold_wallet TEXT;
            v_hold_amount BIGINT;
            v_hold_state TEXT;
            v_events INTEGER := coalesce(array_length(p_event_sequences, 1), 0);
        BEGIN
            SELECT p.sequence, p.lease_owner, p.lease_expires_at INTO v_sequence, v_owner, v_expires
            FROM payouts p WHERE p.reference_id = p_reference_id FOR UPDATE;
            IF NOT FOUND OR v_owner IS DISTINCT FROM p_lease_owner OR v_expires IS NULL OR v_expires <= p_now THEN
                RAISE EXCEPTION USING ERRCODE = 'PW001', MESSAGE = 'lease lost';
            END IF;
            FOR i IN 1 .. v_events LOOP
                IF p_event_sequences[i] <> v_sequence + i THEN
                    RAISE EXCEPTION USING ERRCODE = 'PW002', MESSAGE = v_sequence::TEXT;
                END IF;
            END LOOP;

            IF p_ledger = 'hold' THEN
                SELECT w.wallet_id, w.balance_minor INTO v_wallet, v_balance FROM wallets w WHERE w.currency = p_currency FOR UPDATE;
                IF NOT FOUND THEN
                    RAISE EXCEPTION USING ERRCODE = 'PW003', MESSAGE = 'no wallet';
                END IF;
                SELECT h.state INTO v_hold_state FROM holds h WHERE h.reference_id = p_reference_id;
                IF FOUND THEN
                    RAISE EXCEPTION USING ERRCODE = 'PW005', MESSAGE = v_hold_state;
                END IF;
                SELECT coalesce(sum(h.amount_minor), 0) INTO v_held FROM holds h WHERE h.wallet_id = v_wallet AND h.state = 'pending';
                IF v_balance - v_held < p_amount_minor THEN
                    RAISE EXCEPTION USING ERRCODE = 'PW004', MESSAGE = (v_balance - v_held)::TEXT;
                END IF;
                INSERT INTO holds (reference_id, wallet_id, amount_minor, state, settled_minor, created_at, updated_at)
                VALUES (p_reference_id, v_wallet, p_amount_minor, 'pending', NULL, p_now, p_now);
            ELSIF p_ledger IN ('post', 'void') THEN
                SELECT h.wallet_id, h.amount_minor, h.state INTO v_hold_wallet, v_hold_amount, v_hold_state
                FROM holds h WHERE h.reference_id = p_reference_id;
                IF NOT FOUND THEN
                    RAISE EXCEPTION USING ERRCODE = 'PW006', MESSAGE = 'no hold';
                ELSIF v_hold_state <> 'pending' THEN
                    RAISE EXCEPTION USING ERRCODE = 'PW007', MESSAGE = v_hold_state;
                END IF;
                IF p_ledger = 'post' THEN
                    UPDATE holds SET state = 'posted', settled_minor = p_amount_minor, updated_at = p_now WHERE reference_id = p_reference_id;
                    UPDATE wallets SET balance_minor = balance_minor - p_amount_minor, updated_at = p_now WHERE wallet_id = v_hold_wallet;
                ELSE
                    UPDATE holds SET state = 'voided', updated_at = p_now WHERE reference_id = p_reference_id;
                END IF;
            END IF;

            IF v_events > 0 THEN
                INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at, trace_parent)
                SELECT p_reference_id, e.sequence, e.status, e.payload, e.occurred_at, nullif(e.trace_parent, '')
                FROM unnest(p_event_sequences, p_event_statuses, p_event_payloads, p_event_times, p_event_traces)
                    WITH ORDINALITY AS e (sequence, status, payload, occurred_at, trace_parent, position)
                ORDER BY e.position;
                INSERT INTO outbox (reference_id, sequence, enqueued_at)
                SELECT p_reference_id, s.sequence, p_now FROM unnest(p_event_sequences) WITH ORDINALITY AS s (sequence, position)
                ORDER BY s.position;
            END IF;

            IF p_audit_kind IS NOT NULL THEN
                INSERT INTO payout_audit (reference_id, kind, actor, note, provider_answer, status_before, status_after, ledger, forced, recorded_at)
                VALUES (p_audit_reference_id, p_audit_kind, p_audit_actor, p_audit_note, p_audit_provider_answer,
                        p_audit_status_before, p_audit_status_after, p_audit_ledger, p_audit_forced, p_audit_recorded_at);
            END IF;

            RETURN QUERY
            UPDATE payouts p SET state = p_state, status = p_status, is_final = p_is_final, reason_code = p_reason_code,
                sequence = CASE WHEN v_events > 0 THEN p_event_sequences[v_events]::INTEGER ELSE p.sequence END,
                attempts = p.attempts + p_increment_attempts::INTEGER, next_attempt_at = p_next_attempt_at,
                lease_owner = p_renewed_owner, lease_expires_at = p_lease_until, updated_at = p_now
            WHERE p.reference_id = p_reference_id
            RETURNING p.reference_id, p.fingerprint, p.amount_minor, p.currency, p.status, p.is_final, p.reason_code, p.state,
                p.sequence, p.attempts, p.next_attempt_at, p.lease_owner, p.lease_expires_at, p.created_at, p.updated_at,
                'committed'::TEXT, NULL::TEXT, v_hold_amount;
        EXCEPTION WHEN OTHERS THEN
            RETURN QUERY SELECT NULL::TEXT, NULL::TEXT, NULL::BIGINT, NULL::TEXT, NULL::TEXT, NULL::BOOLEAN, NULL::TEXT, NULL::TEXT,
                NULL::INTEGER, NULL::INTEGER, NULL::BIGINT, NULL::TEXT, NULL::BIGINT, NULL::BIGINT, NULL::BIGINT,
                SQLSTATE::TEXT, SQLERRM::TEXT, NULL::BIGINT;
        END
        $$
        """

    /// The call of `payout_step` for `transition` at `now`.
    static func call(_ transition: PayoutTransition, now: Int64) -> PostgresQuery {
        let leaseUntil = transition.renewLeaseMilliseconds.map { TransitionRules.deadline(now, plus: $0) }
        let renewedOwner = leaseUntil == nil ? nil : transition.leaseOwner
        let events = transition.events
        let (ledger, currency, amount): (String?, String?, Int64?) =
            switch transition.ledger {
            case .none: (nil, nil, nil)
            case .hold(let currency, let amount): ("hold", currency, amount)
            case .post(let debited): ("post", nil, debited)
            case .void: ("void", nil, nil)
            }
        let audit = transition.audit
        let sequences = events.map { Int64($0.sequence) }
        let statuses = events.map(\.status.rawValue)
        let payloads = events.map(\.payload)
        let times = events.map(\.occurredAt)
        let traces = events.map { $0.traceParent ?? "" }
        let increment: Int64 = transition.incrementAttempts ? 1 : 0
        return """
            SELECT * FROM payout_step(
                \(transition.referenceID), \(transition.leaseOwner), \(now),
                \(transition.state), \(transition.status.rawValue), \(transition.isFinal), \(transition.reasonCode), \(transition.nextAttemptAt),
                \(renewedOwner), \(leaseUntil), \(increment),
                \(sequences), \(statuses), \(payloads), \(times), \(traces),
                \(ledger), \(currency), \(amount),
                \(audit?.referenceID), \(audit?.kind.rawValue), \(audit?.actor), \(audit?.note), \(audit?.providerAnswer),
                \(audit?.statusBefore.rawValue), \(audit?.statusAfter.rawValue), \(audit?.ledger), \(audit?.forced), \(audit?.recordedAt))
            """
    }

    /// What a call of `payout_step` answered.
    enum Outcome: Sendable {
        /// The step is written; `heldMinor` is the amount the posted hold had reserved.
        case committed(StoredPayout, heldMinor: Int64?)
        /// Refused with nothing written, as the caller reports it.
        case refused(TransitionResult)
        /// Refused with nothing written, as an error of the caller's (a misuse, not a state).
        case misuse(StoreError)
        /// Failed inside the function with nothing written: a deadlock, a constraint, ...
        case failed(sqlState: String, message: String)
    }

    static func outcome(of rows: [PostgresRow], _ transition: PayoutTransition) throws -> Outcome {
        guard let row = rows.first else {
            throw StoreError(.corrupt, "payout_step answered no row for \(transition.referenceID)")
        }
        let cells = PostgresRandomAccessRow(row)
        let outcome = try cells[15].decode(String.self)
        let detail = try cells[16].decode(String?.self) ?? ""
        let ref = transition.referenceID
        switch outcome {
        case "committed":
            return .committed(try PostgresRecords.payout(row), heldMinor: try cells[17].decode(Int64?.self))
        case "PW001":
            return .refused(.leaseLost)
        case "PW002":
            guard let stored = Int(detail) else { break }
            do {
                try TransitionRules.checkEvents(transition, storedSequence: stored)
            } catch {
                return .misuse(error)
            }
        case "PW003":
            return .refused(.walletUnknown)
        case "PW004":
            guard let available = Int64(detail) else { break }
            return .refused(.insufficientFunds(availableMinor: available))
        case "PW005":
            return .misuse(TransitionRules.alreadyHeld(ref, state: detail))
        case "PW006", "PW007":
            let operation = if case .post = transition.ledger { "post" } else { "void" }
            return .misuse(
                TransitionRules.noPendingHold(ref, operation: operation, state: outcome == "PW007" ? detail : nil)
            )
        default:
            return .failed(sqlState: outcome, message: detail)
        }
        throw StoreError(
            .corrupt,
            "payout_step answered \(outcome) (\(detail)) for \(ref), which its inputs cannot explain"
        )
    }
}
