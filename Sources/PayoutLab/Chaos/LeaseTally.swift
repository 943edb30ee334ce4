import Foundation

/// Leases the workers lost or let go during a run, counted from their logs: the counters behind
/// `payout_leases_lost_total` and `payout_leases_expired_total` live in each worker process and
/// start over when the run kills it, while its log file is appended to by every process of its slot.
struct LeaseTally {
    var lost = 0
    var expired = 0

    /// The engine's notice for a commit refused because another claim owns the payout.
    static let lostLine = "lease lost; another worker owns the payout now"
    /// The engine's notice for a lease it could not renew before a Dollr call.
    static let expiredLine = "lease gone before the next Dollr call"

    init(logs: [URL]) {
        for log in logs {
            guard let text = try? String(contentsOf: log, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                if line.contains(Self.lostLine) {
                    lost += 1
                } else if line.contains(Self.expiredLine) {
                    expired += 1
                }
            }
        }
    }

    /// The figures, per 1,000 payouts.
    func figures(payouts: Int) -> [(String, Int)] {
        [
            ("leases_lost_per_1000", lost * 1_000 / max(1, payouts)),
            ("leases_expired_per_1000", expired * 1_000 / max(1, payouts)),
        ]
    }
}
