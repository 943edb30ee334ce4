public import PayoutEngine

extension CheckResult {
    /// The `merchant` check from the engine's health: merchant-level refusals make the worker degraded (payouts cannot
    /// succeed until an operator acts), everything else about the merchant is ok. Dollr reachability and rate
    /// limiting belong to the `dollr` check.
    public static func merchant(_ health: EngineHealth) -> CheckResult {
        var problems: [String] = []
        if health.merchantNotVerified { problems.append("merchant not verified") }
        if health.passcodeRejected { problems.append("merchant passcode rejected") }
        if health.credentialsRejected { problems.append("client credentials rejected") }
        return problems.isEmpty ? .ok : .degraded(problems.joined(separator: "; "))
    }
}
