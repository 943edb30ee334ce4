import DollrClient
import Testing

@testable import PayoutEngine

/// How stored payouts advanced when their documents were written: a fixture, one outcome at one
/// time, and the decision the engine made then (the next document byte for byte, the event, the
/// ledger operation and the schedule). Recorded by running the state machine on each fixture.
enum StoredStateAdvances {
    struct Advance: Sendable, CustomTestStringConvertible {
        var fixture: String
        var outcome: ActionOutcome
        var now: Int64
        var next: String
        var emitsEvent: Bool
        var ledger: LedgerOperation
        var schedule: Schedule
        var summary: String

        var testDescription: String { summary }
    }

    static let all: [Advance] = [
        Advance(
            fixture: "new.accepted",
            outcome: .feePredicted(payerAmount: Money(minorUnits: 10_100, currency: .usd)),
            now: 0,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"phone":"231771234567","provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"executeAttempts":0,"feeMinor":100,"holdMinor":10100,"phase":"reserved","polls":0,"status":"ACCEPTED","traceParent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","traceState":"vendor=1","transientFailures":0}"#,
            emitsEvent: false,
            ledger: .hold(currency: "USD", amountMinor: 10100),
            schedule: .now,
            summary: "accepted: the fee predicted, the hold placed"
        ),
        Advance(
            fixture: "existing.accepted",
            outcome: .holdRefusedWalletUnknown,
            now: 0,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"payoutAccountID":42,"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"executeAttempts":0,"payoutAccountID":42,"phase":"finished","polls":0,"reason":{"code":"WALLET_BALANCE_UNKNOWN","message":"no balance is declared for the USD wallet"},"status":"FAILED","transientFailures":0}"#,
            emitsEvent: true,
            ledger: .none,
            schedule: .done,
            summary: "accepted: no wallet balance declared"
        ),
        Advance(
            fixture: "new.reserved",
            outcome: .accountCreated(id: 9),
            now: 1000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"executeAttempts":0,"feeMinor":100,"holdMinor":10100,"payoutAccountID":9,"phase":"accountReady","polls":0,"status":"ACCEPTED","traceParent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","traceState":"vendor=1","transientFailures":0}"#,
            emitsEvent: false,
            ledger: .none,
            schedule: .now,
            summary: "reserved: the recipient registered, the phone dropped"
        ),
        Advance(
            fixture: "existing.reserved",
            outcome: .sessionCreated(id: "s2", walletID: "1"),
            now: 1000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"payoutAccountID":42,"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"executeAttempts":0,"feeMinor":100,"holdMinor":10100,"payoutAccountID":42,"phase":"sessionReady","polls":0,"sessionID":"s2","status":"ACCEPTED","transientFailures":0,"walletID":"1"}"#,
            emitsEvent: false,
            ledger: .none,
            schedule: .now,
            summary: "reserved: a session for a registered account"
        ),
        Advance(
            fixture: "new.accountReady",
            outcome: .failed(.server(status: 503)),
            now: 1000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"executeAttempts":0,"feeMinor":100,"holdMinor":10100,"payoutAccountID":42,"phase":"accountReady","polls":0,"status":"ACCEPTED","traceParent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","traceState":"vendor=1","transientFailures":1}"#,
            emitsEvent: false,
            ledger: .none,
            schedule: .after(milliseconds: 1000),
            summary: "accountReady: an outage backs off"
        ),
        Advance(
            fixture: "new.sessionReady",
            outcome: .markedExecuting,
            now: 1000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"executeAttempts":1,"executeSentAt":1000,"feeMinor":100,"holdMinor":10100,"payoutAccountID":42,"phase":"executing","polls":0,"sessionID":"s1","status":"ACCEPTED","traceParent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","traceState":"vendor=1","transientFailures":0,"walletID":"1"}"#,
            emitsEvent: false,
            ledger: .none,
            schedule: .now,
            summary: "sessionReady: executing committed, execute follows"
        ),
        Advance(
            fixture: "new.executing",
            outcome: .failed(.outcomeUnknown(.timeout)),
            now: 61000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"executeAttempts":1,"executeSentAt":1000,"feeMinor":100,"holdMinor":10100,"payoutAccountID":42,"phase":"executing","pollingSince":61000,"polls":0,"sessionID":"s1","status":"ACCEPTED","traceParent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","traceState":"vendor=1","transientFailures":1,"walletID":"1"}"#,
            emitsEvent: false,
            ledger: .none,
            schedule: .after(milliseconds: 1000),
            summary: "executing: a status poll timed out"
        ),
        Advance(
            fixture: "new.executing",
            outcome: .executeFailed(.sessionExpired),
            now: 1000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"executeAttempts":1,"executeSentAt":1000,"feeMinor":100,"holdMinor":10100,"payoutAccountID":42,"phase":"accountReady","polls":0,"status":"ACCEPTED","traceParent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","traceState":"vendor=1","transientFailures":0,"walletID":"1"}"#,
            emitsEvent: false,
            ledger: .none,
            schedule: .now,
            summary: "executing: the session expired"
        ),
        Advance(
            fixture: "reexec.executing",
            outcome: .executeFailed(.passcodeRejected),
            now: 71000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"executeAttempts":2,"executePresumedLost":true,"executeSentAt":70000,"feeMinor":100,"holdMinor":10100,"payoutAccountID":42,"pendingFailure":{"code":"PASSCODE_REJECTED","message":"Dollr refused the merchant passcode"},"phase":"polling","polls":0,"status":"ACCEPTED","transientFailures":0,"walletID":"1"}"#,
            emitsEvent: false,
            ledger: .none,
            schedule: .now,
            summary: "executing after a presumed loss: a refusal waits for confirmation"
        ),
        Advance(
            fixture: "new.polling",
            outcome: .polled(PayoutStateMachineTests.execution(.processing)),
            now: 1000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"executeAttempts":1,"executeSentAt":1000,"feeMinor":100,"holdMinor":10100,"payoutAccountID":42,"phase":"polling","pollingSince":1000,"polls":1,"providerStatus":"PROCESSING","sessionID":"s1","status":"PROCESSING","traceParent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","traceState":"vendor=1","transientFailures":0,"walletID":"1"}"#,
            emitsEvent: true,
            ledger: .none,
            schedule: .after(milliseconds: 3000),
            summary: "polling: PROCESSING"
        ),
        Advance(
            fixture: "new.polling",
            outcome: .polled(PayoutStateMachineTests.execution(.completed)),
            now: 131000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"debitedMinor":10100,"executeAttempts":1,"executeSentAt":1000,"feeMinor":100,"holdMinor":10100,"payoutAccountID":42,"phase":"finished","pollingSince":1000,"polls":1,"providerStatus":"COMPLETED","sessionID":"s1","status":"COMPLETED","traceParent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","traceState":"vendor=1","transientFailures":0,"walletID":"1"}"#,
            emitsEvent: true,
            ledger: .post(debitedMinor: 10100),
            schedule: .done,
            summary: "polling: COMPLETED"
        ),
        Advance(
            fixture: "timeout.polling",
            outcome: .failed(.notFound),
            now: 131000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"executeAttempts":1,"executePresumedLost":true,"executeSentAt":1000,"feeMinor":100,"holdMinor":10100,"payoutAccountID":42,"phase":"accountReady","pollingSince":2000,"polls":0,"status":"ACCEPTED","transientFailures":0,"walletID":"1"}"#,
            emitsEvent: false,
            ledger: .none,
            schedule: .now,
            summary: "polling without an answer: 404 past the grace, executed again"
        ),
        Advance(
            fixture: "new.underReview",
            outcome: .polled(PayoutStateMachineTests.execution(.completed)),
            now: 1_802_000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"debitedMinor":10100,"executeAttempts":1,"executeSentAt":1000,"feeMinor":100,"holdMinor":10100,"payoutAccountID":42,"phase":"finished","pollingSince":1000,"polls":1,"providerStatus":"COMPLETED","reason":{"code":"RECONCILED","message":"Dollr reported COMPLETED when asked again under review"},"reviewSince":1801000,"sessionID":"s1","status":"COMPLETED","traceParent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","traceState":"vendor=1","transientFailures":0,"walletID":"1"}"#,
            emitsEvent: true,
            ledger: .post(debitedMinor: 10100),
            schedule: .done,
            summary: "underReview: a recheck finds COMPLETED"
        ),
        Advance(
            fixture: "new.underReview",
            outcome: .resolvedByOperator(.failed, dollrAnswer: nil),
            now: 1_802_000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"executeAttempts":1,"executeSentAt":1000,"feeMinor":100,"holdMinor":10100,"payoutAccountID":42,"phase":"finished","pollingSince":1000,"polls":1,"providerStatus":"PROCESSING","reason":{"code":"OPERATOR_RESOLVED","message":"resolved as FAILED by an operator; see the audit log"},"reviewSince":1801000,"sessionID":"s1","status":"FAILED","traceParent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","traceState":"vendor=1","transientFailures":0,"walletID":"1"}"#,
            emitsEvent: true,
            ledger: .void,
            schedule: .done,
            summary: "underReview: an operator resolves FAILED"
        ),
        Advance(
            fixture: "new.finished",
            outcome: .polled(PayoutStateMachineTests.execution(.completed)),
            now: 10_000_000_000,
            next:
                #"{"command":{"amountMinor":10000,"currency":"USD","metadata":{},"recipient":{"accountName":"Ada","countryCode":"LR","method":"MTN_MOMO_LBR","partyID":7,"provider":"MTN_MOMO_LBR"},"referenceID":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"},"debitedMinor":10100,"executeAttempts":1,"executeSentAt":1000,"feeMinor":100,"holdMinor":10100,"payoutAccountID":42,"phase":"finished","pollingSince":1000,"polls":1,"providerStatus":"COMPLETED","sessionID":"s1","status":"COMPLETED","traceParent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","traceState":"vendor=1","transientFailures":0,"walletID":"1"}"#,
            emitsEvent: false,
            ledger: .none,
            schedule: .done,
            summary: "finished: a late answer changes nothing"
        ),
    ]
}
