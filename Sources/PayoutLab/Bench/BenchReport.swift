import CommandSupport
import Foundation

/// Prints the figures as one table (scenario, figure, value, target) and writes them as JSON.
struct BenchReport {
    var figures: [BenchFigures]
    var context: [String: String]

    /// The issue's targets: (scenario, figure, minimum or maximum, bound).
    static let targets: [(scenario: String, name: String, atLeast: Bool, bound: Double)] = [
        ("raw", "ratio_to_librdkafka", true, 0.8),
        ("intake", "commands_per_second", true, 20_000),
        ("intake", "ratio_to_ceiling", true, 0.6),
        ("duplicates", "ratio_to_raw", true, 0.8),
        ("duplicates", "sandbox_calls", false, 0),
        ("end-to-end", "payouts_per_second", true, 2_000),
        ("latency-bound", "ratio_to_bound", true, 0.9),
        ("latency-bound", "ratio_to_in_flight_1", true, 100),
        ("memory", "peak_rss_mib", false, 200),
        ("memory", "at_50000_peak_rss_mib", false, 400),
    ]

    var lines: [String] {
        var table = TextTable([("scenario", .left), ("figure", .left), ("value", .right), ("target", .left)])
        for scenario in figures {
            for value in scenario.values {
                var target = ""
                if let goal = Self.targets.first(where: { $0.scenario == scenario.scenario && $0.name == value.name }) {
                    let met = goal.atLeast ? value.value >= goal.bound : value.value <= goal.bound
                    target = "\(goal.atLeast ? ">=" : "<=") \(Self.format(goal.bound)) \(met ? "met" : "MISSED")"
                }
                table.append([
                    scenario.scenario, value.name,
                    Self.format(value.value) + (value.unit.isEmpty ? "" : " \(value.unit)"), target,
                ])
            }
        }
        return table.lines + figures.flatMap(\.notes).map { "note: \($0)" }
    }

    func writeJSON(to path: String) throws {
        var scenarios: [String: Any] = [:]
        for scenario in figures {
            var values: [String: Any] = [:]
            for value in scenario.values { values[value.name] = value.value }
            if !scenario.notes.isEmpty { values["notes"] = scenario.notes }
            scenarios[scenario.scenario] = values
        }
        let object: [String: Any] = ["context": context, "scenarios": scenarios]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return grouped(Int(value)) }
        if abs(value) >= 100 { return grouped(Int(value.rounded())) }
        return String(format: abs(value) >= 10 ? "%.1f" : "%.3f", value)
    }

    private static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }
}
