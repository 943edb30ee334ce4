import PayoutWorker
import TestSupport
import Testing

/// The alert rules users load into Prometheus, checked by Prometheus's own `promtool`: they parse,
/// they fire (and stay quiet) as their unit test says, and they watch metrics the worker exposes.
@Suite("config/prometheus alert rules")
struct AlertRulesTests {
    static let rules = Repository.path("config/prometheus/payout-worker-alerts.yml")
    static let ruleTests = Repository.path("config/prometheus/payout-worker-alerts.test.yml")

    @Test("promtool accepts the rules and their unit test passes")
    func promtoolChecksAndTestsTheRules() async throws {
        let check = try await runCommand("/usr/bin/promtool", ["check", "rules", Self.rules])
        #expect(check.status == 0, "\(check.output)")
        let test = try await runCommand("/usr/bin/promtool", ["test", "rules", Self.ruleTests])
        #expect(test.status == 0, "\(test.output)")
    }

    @Test("every metric an alert reads is one the worker exposes, with the type the expression assumes")
    func alertsReadExposedMetrics() throws {
        let metrics = WorkerMetrics()
        // Labelled series appear once used.
        metrics.ledgerMismatch(.debitExceededHold, currency: "LRD")
        let exposed = try PrometheusExposition(parsing: metrics.render()).types
        let text = try Repository.text("config/prometheus/payout-worker-alerts.yml")
        let expressions = text.split(separator: "\n").filter {
            $0.trimmingPrefix(while: \.isWhitespace).hasPrefix("expr:")
        }
        #expect(expressions.count == 3)
        let read = Set(expressions.flatMap { $0.matches(of: /payout_[a-z_]+/).map { String($0.output) } })
        #expect(!read.isEmpty)
        for name in read {
            #expect(exposed[name] != nil, "\(name) is not exposed; exposed: \(exposed.keys.sorted())")
            // rate() and increase() need a counter.
            if name.hasSuffix("_total") { #expect(exposed[name] == "counter", "\(name)") }
        }
    }
}
