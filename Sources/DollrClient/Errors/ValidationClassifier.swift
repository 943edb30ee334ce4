/// Turns a 422 body into the specific ``DollrError`` the engine acts on.
///
/// Dollr documents only "422 duplicate / already exists", "expired session" and "wrong passcode" in prose. Our
/// assumption, implemented identically by the sandbox, and kept narrow so that a field error is never mistaken for
/// one of these (each of them makes the engine act: poll, re-create a session, alert on the passcode):
/// - duplicate: the issue says so (`type` `value_error.duplicate`, or a `msg` containing "duplicate" or "already
///   exists", for robustness against the real wording) and either its `loc` names `reference_id`, or the call is
///   execute and the issue points at no other field (`loc` empty or `["body"]`, as a plain-string `detail` gives)
///   or has the duplicate `type`. "Payment account already exists" on another call, or a wording at another field,
///   stays ``DollrError/validation(_:)``;
/// - passcode: a `loc` under `passcode.token` (`code`, `phone`, `user_id`, or the token itself): the merchant's
///   passcode or the phone/user it is registered to was refused. Errors elsewhere in the passcode object (e.g.
///   `passcode.device.type`) are request-shape errors and stay ``DollrError/validation(_:)`` with their detail;
/// - session: `loc` ending in `session_id` with `type` `value_error.session_expired` / `value_error.session_not_found`,
///   or a `msg` containing "expired".
/// The first matching rule in that order wins; otherwise the issues are returned as ``DollrError/validation(_:)``.
enum ValidationClassifier {
    static let duplicateType = "value_error.duplicate"

    /// - Parameter onExecute: whether the 422 answers `POST /v1/executions/payout`, the one call with a
    ///   `reference_id` to be a duplicate of.
    static func classify(_ issues: [ValidationIssue], onExecute: Bool) -> DollrError {
        if issues.contains(where: { self.isDuplicate($0, onExecute: onExecute) }) { return .duplicateReference }
        if issues.contains(where: self.isPasscodeRejection) { return .passcodeRejected }
        if issues.contains(where: self.isSessionExpired) { return .sessionExpired }
        return .validation(issues)
    }

    private static func isDuplicate(_ issue: ValidationIssue, onExecute: Bool) -> Bool {
        let message = issue.msg.lowercased()
        let saysDuplicate =
            issue.type == self.duplicateType || message.contains("duplicate") || message.contains("already exists")
        guard saysDuplicate else { return false }
        if issue.loc.contains("reference_id") { return true }
        // On execute a field-less duplicate can only be the reference; calling a real duplicate a validation error
        // would fail a payout that Dollr is paying.
        return onExecute && (issue.type == self.duplicateType || issue.loc.allSatisfy { $0 == "body" })
    }

    private static func isPasscodeRejection(_ issue: ValidationIssue) -> Bool {
        guard let passcode = issue.loc.firstIndex(of: "passcode") else { return false }
        let next = issue.loc.index(after: passcode)
        return next < issue.loc.endIndex && issue.loc[next] == "token"
    }

    private static func isSessionExpired(_ issue: ValidationIssue) -> Bool {
        issue.type.hasPrefix("value_error.session")
            || (issue.loc.last == "session_id" && issue.msg.lowercased().contains("expired"))
    }
}
