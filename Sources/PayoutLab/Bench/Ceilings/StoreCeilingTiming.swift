/// What a store ceiling measured: rows (payouts, each with its event and outbox entry) written in
/// `seconds` of transactions.
struct StoreCeilingTiming: Sendable {
    var rows: Int
    var seconds: Double
    var perSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }
}
