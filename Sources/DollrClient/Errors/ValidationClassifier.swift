/// Turns a 422 body into the specific ``DollrError`` the engine acts on.
///
/// Dollr documents only "422 duplicate / already exists", "expired session" and "wrong passcode" in prose. Our
/// assumption, implemented identically by the sandbox:
/// - duplicate: `type` `value_error.duplicate`, `loc` `["body","reference_id"]`; also any `msg` containing
///   "duplicate" or "already exists", for robustness against the real wording;
/// - passcode: any `loc` that passes through `passcode` (e.g. `["body","passcode","token","code"]`);
/// - session: `loc` ending in `session_id` with `type` `value_error.session_expired` / `value_error.session_not_found`,
///   or a `msg` containing "expired".
/// The first matching rule in that order wins; otherwise the issues are returned as ``DollrError/validation(_:)``.
enum ValidationClassifier {
    static func classify(_ issues: [ValidationIssue]) -> DollrError {
        if issues.contains(where: self.isDuplicate) { return .duplicateReference }
        if issues.contains(where: { $0.loc.contains("passcode") }) { return .passcodeRejected }
        if issues.contains(where: self.isSessionExpired) { return .sessionExpired }
        return .validation(issues)
    }

    private static func isDuplicate(_ issue: ValidationIssue) -> Bool {
        let message = issue.msg.lowercased()
        return issue.type == "value_error.duplicate" || message.contains("duplicate")
            || message.contains("already exists")
    }

    private static func isSessionExpired(_ issue: ValidationIssue) -> Bool {
        issue.type.hasPrefix("value_error.session")
            || (issue.loc.last == "session_id" && issue.msg.lowercased().contains("expired"))
    }
}
