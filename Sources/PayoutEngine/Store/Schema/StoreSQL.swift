import Foundation

/// SQL text both dialects share.
enum StoreSQL {
    /// `columns` (a comma-separated list) each prefixed with `table.`, for joins.
    static func qualified(_ columns: String, _ table: String) -> String {
        columns.split(separator: ",").map { "\(table).\($0.trimmingCharacters(in: .whitespacesAndNewlines))" }.joined(
            separator: ", "
        )
    }

    /// The tables whose rows `tableRowCounts()` reports.
    static let countedTables = [
        "payouts", "payout_events", "outbox", "intake_sources", "payout_audit", "kept_dead_letters", "holds",
    ]
}
