import Testing

@testable import PayoutEngine

/// The members both group-commit tests queue. Member n inserts row n, then throws (n % 3 == 0),
/// rolls back (1) or commits (2); the last member inserts instead a key a holder already wrote.
enum GroupCommitPlan {
    struct Planned: Error {}

    /// The key member `n` of `members` inserts.
    static func key(_ n: Int, of members: Int, holderKey: Int) -> Int { n == members - 1 ? holderKey : n }

    static func decide(_ n: Int) throws -> TransactionDecision<Int> {
        switch n % 3 {
        case 0: throw Planned()
        case 1: return .rollback(n)
        default: return .commit(n)
        }
    }

    /// Checks that each member got its own answer (transactions are named "member N").
    static func check(_ outcomes: [Int: Result<Int, StoreError>], members: Int) {
        for n in 0..<(members - 1) {
            switch (n % 3, outcomes[n]) {
            case (0, .failure(let error)): #expect(error.description.contains("member \(n): "))
            case (1, .success(let value)), (2, .success(let value)): #expect(value == n)
            default: Issue.record("transaction \(n) answered \(String(describing: outcomes[n]))")
            }
        }
        guard case .failure(let violation) = outcomes[members - 1] else {
            Issue.record("the duplicate key committed")
            return
        }
        #expect(violation.kind == .conflict)
    }

    /// The keys the members leave: those that committed.
    static func committed(of members: Int) -> [Int] { (0..<(members - 1)).filter { $0 % 3 == 2 } }
}
