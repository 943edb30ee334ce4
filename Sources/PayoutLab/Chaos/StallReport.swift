import Foundation

/// What a chaos run says when it stalls: the `stalled:` violation, a summary for stderr, and the
/// full report for `stall-report.txt` (the store's open transactions and their locks, taken while
/// the workers still hold them).
struct StallReport {
    var stall: StallDetector.Stall
    /// The server's open work; the failure instead when it could not be read.
    var activity: Result<ChaosStoreProbe.Activity, any Error>
    var file: URL

    static let fileName = "stall-report.txt"

    /// The transaction open longest, if any is open.
    var oldest: ChaosStoreProbe.Backend? {
        guard case .success(let activity) = activity else { return nil }
        let open = activity.backends.compactMap { backend in backend.transactionAge.map { (backend, age: $0) } }
        return open.max { $0.age < $1.age }?.0
    }

    /// The violation, one line.
    var violation: String {
        "stalled: no command answered for \(Self.seconds(stall.lasted)) s once the faults had stopped, "
            + "\(stall.unanswered) unanswered (\(stall.answered) answered); \(oldestSummary); full report: \(file.path)"
    }

    var oldestSummary: String {
        switch activity {
        case .failure(let error): return "the store's activity could not be read: \(error)"
        case .success(let activity):
            guard let oldest else { return "no transaction open in database \(activity.database)" }
            let held = activity.locks.filter { $0.pid == oldest.pid && $0.granted }.count
            let awaited = activity.locks.filter { $0.pid == oldest.pid && !$0.granted }.count
            return "oldest open transaction: \(Self.describe(oldest)), holding \(held) locks, waiting for \(awaited)"
        }
    }

    /// The whole report, for the file.
    var text: String {
        var lines = [
            "stall: no command answered for \(Self.seconds(stall.lasted)) s after the faults stopped; "
                + "\(stall.answered) answered, \(stall.unanswered) unanswered"
        ]
        switch activity {
        case .failure(let error):
            lines.append("the store's activity could not be read: \(error)")
        case .success(let activity):
            lines.append(
                "database \(activity.database): \(activity.backends.count) backends not idle, oldest transaction first"
            )
            lines += activity.backends.map { "  " + Self.describe($0) + "\n      query: \($0.query)" }
            lines.append("their locks, by backend, those waited for first (\(activity.locks.count)):")
            lines += activity.locks.map {
                "  pid \($0.pid) \($0.granted ? "holds" : "WAITS FOR") \($0.mode) on \($0.target)"
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func describe(_ backend: ChaosStoreProbe.Backend) -> String {
        var parts = ["pid \(backend.pid)", backend.state]
        if let age = backend.transactionAge { parts.append("transaction open \(String(format: "%.1f", age)) s") }
        if let age = backend.stateAge { parts.append("in this state \(String(format: "%.1f", age)) s") }
        if let type = backend.waitEventType { parts.append("waiting on \(type)/\(backend.waitEvent ?? "?")") }
        if !backend.blockedBy.isEmpty {
            parts.append("blocked by \(backend.blockedBy.map(String.init).joined(separator: ","))")
        }
        return parts.joined(separator: ", ")
    }

    private static func seconds(_ duration: Duration) -> Int64 { duration.components.seconds }
}
