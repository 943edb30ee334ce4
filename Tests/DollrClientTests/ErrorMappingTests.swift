import Foundation
import Testing

@testable import DollrClient

@Suite("Status and 422 mapping (no network)")
struct ErrorMappingTests {
    private func map(
        _ status: Int,
        _ body: String,
        idempotent: Bool = true,
        execute: Bool = false,
        retryAfter: Duration? = nil
    ) -> DollrError {
        ResponseStatusMapper.error(
            for: DollrResponse(status: status, retryAfter: retryAfter, body: Array(body.utf8)),
            isIdempotent: idempotent,
            isExecute: execute
        )
    }

    /// `{"detail":[{"loc":[...],"msg":...,"type":...}]}` for one issue.
    private static func body(_ loc: [String], _ msg: String, _ type: String) -> String {
        let parts = loc.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"detail":[{"loc":["# + parts + #"],"msg":""# + msg + #"","type":""# + type + #""}]}"#
    }

    @Test func statuses() {
        #expect(self.map(401, #"{"detail":"Could not validate credentials"}"#) == .unauthorized)
        #expect(self.map(403, #"{"detail":"Merchant not verified"}"#) == .forbidden(detail: "Merchant not verified"))
        #expect(self.map(403, "") == .forbidden(detail: "no detail given"))
        #expect(self.map(404, #"{"detail":"Not Found"}"#) == .notFound)
        #expect(self.map(429, "", retryAfter: .seconds(7)) == .rateLimited(retryAfter: .seconds(7)))
        #expect(self.map(503, "") == .server(status: 503))
        #expect(self.map(502, "", idempotent: false) == .outcomeUnknown(.serverError(status: 502)))
        #expect(self.map(409, "") == .unexpectedStatus(409))
    }

    @Test func validationListKeepsEveryIssueWithLocAsText() {
        let body =
            #"{"detail":[{"loc":["body","amount"],"msg":"Input should be greater than or equal to 0.01","type":"greater_than_equal"},{"loc":["body","items",0],"msg":"bad","type":"x"}]}"#
        #expect(
            self.map(422, body)
                == .validation([
                    ValidationIssue(
                        loc: ["body", "amount"],
                        msg: "Input should be greater than or equal to 0.01",
                        type: "greater_than_equal"
                    ),
                    ValidationIssue(loc: ["body", "items", "0"], msg: "bad", type: "x"),
                ])
        )
    }

    @Test(arguments: [
        (
            #"{"detail":[{"loc":["body","reference_id"],"msg":"exists","type":"value_error.duplicate"}]}"#,
            DollrError.duplicateReference
        ),
        (#"{"detail":"Reference already exists"}"#, .duplicateReference),
        (#"{"detail":[{"loc":["body"],"msg":"Duplicate reference_id","type":"value_error"}]}"#, .duplicateReference),
        (
            #"{"detail":[{"loc":["body","passcode","token","code"],"msg":"Invalid passcode","type":"value_error.passcode"}]}"#,
            .passcodeRejected
        ),
        (
            #"{"detail":[{"loc":["body","session_id"],"msg":"Session has expired","type":"value_error.session_expired"}]}"#,
            .sessionExpired
        ),
        (
            #"{"detail":[{"loc":["body","session_id"],"msg":"Session not found","type":"value_error.session_not_found"}]}"#,
            .sessionExpired
        ),
        (#"{"detail":[{"loc":["body","session_id"],"msg":"session expired","type":"value_error"}]}"#, .sessionExpired),
    ])
    func specificCauses(body: String, expected: DollrError) {
        #expect(self.map(422, body, idempotent: false, execute: true) == expected)
    }

    /// Duplicate wording at `reference_id` is a duplicate on any call; the duplicate type, or a field-less wording,
    /// only on execute; and anything under `passcode.token` is the passcode.
    @Test(arguments: [
        (["body", "reference_id"], "Reference already exists", "value_error", false, DollrError.duplicateReference),
        (["body"], "exists", "value_error.duplicate", true, .duplicateReference),
        (["body", "session_id"], "exists", "value_error.duplicate", true, .duplicateReference),
        (
            ["body", "passcode", "token", "phone"], "Passcode is not registered to this phone", "value_error.passcode",
            true, .passcodeRejected
        ),
        (
            ["body", "passcode", "token", "user_id"], "Passcode is not registered to this user", "value_error.passcode",
            true, .passcodeRejected
        ),
        (
            ["body", "passcode", "token"], "Value error, one of phone or user_id is required", "value_error", true,
            .passcodeRejected
        ),
    ])
    func preciseCausesStillMatch(loc: [String], msg: String, type: String, execute: Bool, expected: DollrError) {
        #expect(self.map(422, Self.body(loc, msg, type), idempotent: !execute, execute: execute) == expected)
    }

    /// Errors that look like a duplicate but are not: such errors keep their detail as `.validation`.
    @Test(arguments: [
        // "already exists" about something else, on another call or at another field.
        (["body", "account_name"], "Payment account already exists", "value_error", false),
        (["body"], "Payment account already exists", "value_error", false),
        (["body", "session_id"], "Session already exists for this account", "value_error", true),
        (["body", "payout_account_id"], "Duplicate account binding", "value_error", true),
        // reference_id is named, but the problem is its shape, not a duplicate.
        (
            ["body", "reference_id"], "Input should be a valid UUID, unable to parse string as an UUID", "uuid_parsing",
            true
        ),
        // The passcode object outside its token: request shape, not the merchant's passcode.
        (["body", "passcode", "device", "type"], "Input should be 'SERVER', 'MOBILE' or 'WEB'", "enum", true),
        (["body", "passcode", "device", "client_ip"], "Field required", "missing", true),
        (
            ["body", "passcode"], "Input should be a valid dictionary or object to extract fields from",
            "model_attributes_type", true
        ),
    ])
    func fieldErrorsStayValidationWithTheirDetail(loc: [String], msg: String, type: String, execute: Bool) {
        #expect(
            self.map(422, Self.body(loc, msg, type), idempotent: !execute, execute: execute)
                == .validation([ValidationIssue(loc: loc, msg: msg, type: type)])
        )
    }

    @Test func fieldLessDuplicateWordingIsADuplicateOnlyOnExecute() {
        let body = #"{"detail":"Reference already exists"}"#
        #expect(self.map(422, body, idempotent: false, execute: true) == .duplicateReference)
        #expect(
            self.map(422, body)
                == .validation([ValidationIssue(loc: [], msg: "Reference already exists", type: "value_error")])
        )
    }

    @Test func unreadable422IsStillValidation() {
        guard case .validation(let issues) = self.map(422, "<html>") else {
            Issue.record("expected validation")
            return
        }
        #expect(issues.count == 1)
    }

    @Test func retryPolicyHonoursRetryAfterAndCaps() {
        let policy = RateLimitRetryPolicy(maxRetries: 3, baseDelay: .milliseconds(500), maxDelay: .seconds(10))
        #expect(policy.delay(retryAfter: .seconds(2), attempt: 1) == .seconds(2))
        #expect(policy.delay(retryAfter: .seconds(60), attempt: 1) == .seconds(10))
        #expect(policy.delay(retryAfter: nil, attempt: 1) == .milliseconds(500))
        #expect(policy.delay(retryAfter: nil, attempt: 3) == .seconds(2))
        #expect(policy.delay(retryAfter: nil, attempt: 10) == .seconds(10))
        #expect(DollrTransport.parseRetryAfter("3") == .seconds(3))
        #expect(DollrTransport.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
    }

    @Test func timestamps() {
        let utc = DollrTimestamp(raw: "2024-05-01T12:00:00.123456Z").date
        #expect(utc == Date(timeIntervalSince1970: 1_714_564_800.123456))
        #expect(DollrTimestamp(raw: "2024-05-01T14:00:00+02:00").date == Date(timeIntervalSince1970: 1_714_564_800))
        #expect(DollrTimestamp(raw: "2024-05-01T12:00:00").date == Date(timeIntervalSince1970: 1_714_564_800))
        #expect(DollrTimestamp(raw: "yesterday").date == nil)
        #expect(DollrTimestamp(raw: "2024-13-01T12:00:00Z").date == nil)
    }

    @Test func tokenRefreshMarginNeverExceedsHalfTheLifetime() {
        let start = ContinuousClock.now
        let hour = AccessToken(value: Secret("t"), obtainedAt: start, expiresAt: start + .seconds(3600), serial: 1)
        #expect(!hour.needsRefresh(at: start + .seconds(3299), margin: .seconds(300)))
        #expect(hour.needsRefresh(at: start + .seconds(3301), margin: .seconds(300)))
        let short = AccessToken(value: Secret("t"), obtainedAt: start, expiresAt: start + .seconds(60), serial: 1)
        #expect(!short.needsRefresh(at: start + .seconds(29), margin: .seconds(300)))
        #expect(short.needsRefresh(at: start + .seconds(31), margin: .seconds(300)))
    }

    @Test func descriptionsAreActionable() {
        #expect(DollrError.outcomeUnknown(.timeout).description.contains("poll the status"))
        #expect(DollrError.sessionExpired.description.contains("create a new session"))
    }
}
