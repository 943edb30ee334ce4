public import DollrClient

/// A merchant wallet as the admin API shows it.
public struct SandboxWallet: Sendable, Hashable {
    public let id: Int
    public let balance: Money

    var json: JSONObject {
        [
            "id": .integer(self.id), "currency": .string(self.balance.currency.code),
            "balance": .string(self.balance.description),
        ]
    }
}

/// One `reference_id` in the ledger: how often it was executed and what became of it.
public struct SandboxExecution: Sendable, Hashable {
    public let referenceID: String
    /// Every execute call with this reference, accepted or not (a duplicate counts).
    public let executeCalls: Int
    /// Execute calls Dollr refused as duplicates because this reference was already accepted:
    /// its own `reference_id` guard, the last line of defence against paying twice.
    public let duplicateExecuteCalls: Int
    /// The error type of each refused execute call, in order (`value_error.duplicate`,
    /// `value_error.session_expired`, ...).
    public let refusals: [String]
    public let accepted: Bool
    /// Settled FAILED because the wallet could not cover amount + fee when it was due.
    public let refusedForFunds: Bool
    /// `nil` when never accepted.
    public let status: ExecutionStatus?
    public let amount: Money?
    /// Amount + fee once completed, zero otherwise.
    public let debited: Money?

    var json: JSONObject {
        [
            "reference_id": .string(self.referenceID), "execute_calls": .integer(self.executeCalls),
            "duplicate_execute_calls": .integer(self.duplicateExecuteCalls),
            "refusals": .array(self.refusals.map { .string($0) }),
            "accepted": .bool(self.accepted), "refused_for_funds": .bool(self.refusedForFunds),
            "status": self.status.map { .string($0.rawValue) } ?? .null,
            "amount": self.amount.map { .string($0.description) } ?? .null,
            "currency": self.amount.map { .string($0.currency.code) } ?? .null,
            "debited": self.debited.map { .string($0.description) } ?? .null,
        ]
    }
}

/// The ground truth reliability tests check: each reference executed at most once, no wallet below zero.
public struct SandboxLedgerSnapshot: Sendable, Hashable {
    public let wallets: [SandboxWallet]
    public let executions: [SandboxExecution]
    private let index: [String: Int]

    init(wallets: [SandboxWallet], executions: [SandboxExecution]) {
        self.wallets = wallets
        self.executions = executions
        self.index = Dictionary(executions.enumerated().map { ($1.referenceID, $0) }) { first, _ in first }
    }

    public func wallet(_ currency: CurrencyCode) -> SandboxWallet? {
        self.wallets.first { $0.balance.currency == currency }
    }

    public func execution(_ referenceID: String) -> SandboxExecution? {
        self.index[referenceID.lowercased()].map { self.executions[$0] }
    }
}
