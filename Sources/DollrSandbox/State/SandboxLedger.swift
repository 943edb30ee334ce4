import DollrClient
import Synchronization

import struct Foundation.UUID

/// Wallets, accounts, sessions and executions under one lock. Every operation first settles the executions that
/// are due, so the state seen is always current and debits happen in due order.
final class SandboxLedger: Sendable {
    /// What an execute call led to.
    enum ExecuteOutcome {
        case accepted(ExecutionRecord)
        case rejected([ValidationIssue], duplicate: Bool)
    }

    struct ExecuteCommand {
        var referenceID: String
        var sessionID: String
        var payoutAccountID: String
        var passcodeIssues: [ValidationIssue]
    }

    private struct State {
        var wallets: [CurrencyCode: WalletRecord] = [:]
        var nextWalletID = 1
        var accounts: [Int: AccountRecord] = [:]
        var nextAccountID = 1
        var sessions: [String: SessionRecord] = [:]
        var executions: [String: ExecutionRecord] = [:]
        var executionOrder: [String] = []
        var queue = SettlementQueue()
        var sequence = 0
        var duplicateExecutes = 0
        var executionsAccepted = 0
    }

    private let state = Mutex(State())
    private let fees: FeeSchedule

    init(wallets: [Money], fees: FeeSchedule) {
        self.fees = fees
        self.state.withLock { state in
            for balance in wallets {
                Self.setWallet(balance, in: &state)
            }
        }
    }

    // MARK: Wallets

    @discardableResult
    func setWallet(_ balance: Money) -> SandboxWallet {
        self.state.withLock { state in
            let wallet = Self.setWallet(balance, in: &state)
            return SandboxWallet(id: wallet.id, balance: wallet.balance)
        }
    }

    @discardableResult
    private static func setWallet(_ balance: Money, in state: inout State) -> WalletRecord {
        if var wallet = state.wallets[balance.currency] {
            wallet.balance = balance
            state.wallets[balance.currency] = wallet
            return wallet
        }
        let wallet = WalletRecord(id: state.nextWalletID, balance: balance)
        state.nextWalletID += 1
        state.wallets[balance.currency] = wallet
        return wallet
    }

    // MARK: Accounts and sessions

    func createAccount(_ make: (Int) -> AccountRecord) -> AccountRecord {
        self.state.withLock { state in
            let account = make(state.nextAccountID)
            state.nextAccountID += 1
            state.accounts[account.id] = account
            return account
        }
    }

    func createSession(
        accountID: Int,
        amount: Money,
        lifetime: Duration,
        now: ContinuousClock.Instant
    ) -> Result<SessionRecord, ValidationIssues> {
        self.state.withLock { state in
            guard state.accounts[accountID] != nil else {
                return .failure(
                    ValidationIssues(issues: [
                        ValidationIssue(
                            loc: ["body", "payout_account_id"],
                            msg: "Payment account not found",
                            type: "value_error.not_found"
                        )
                    ])
                )
            }
            guard let wallet = state.wallets[amount.currency] else {
                return .failure(
                    ValidationIssues(issues: [
                        ValidationIssue(
                            loc: ["body", "currency"],
                            msg: "Merchant has no wallet in \(amount.currency)",
                            type: "value_error.wallet_not_found"
                        )
                    ])
                )
            }
            let session = SessionRecord(
                id: UUID().uuidString.lowercased(),
                walletID: wallet.id,
                accountID: accountID,
                amount: amount,
                createdAt: now,
                expiresAt: now + lifetime
            )
            state.sessions[session.id] = session
            return .success(session)
        }
    }

    // MARK: Executions

    /// Checks and, if everything holds, accepts an execution. Rules in order: passcode, duplicate reference,
    /// session (unknown, expired, used), account match.
    func execute(
        _ command: ExecuteCommand,
        now: ContinuousClock.Instant,
        fate: FaultInjector.ExecutionFate
    ) -> ExecuteOutcome {
        self.state.withLock { state -> ExecuteOutcome in
            let outcome = Self.execute(command, now: now, fate: fate, in: &state, fees: self.fees)
            if case .rejected(let issues, _) = outcome {
                state.executions[command.referenceID]?.refusals.append(issues.first?.type ?? "unknown")
            }
            return outcome
        }
    }

    private static func execute(
        _ command: ExecuteCommand,
        now: ContinuousClock.Instant,
        fate: FaultInjector.ExecutionFate,
        in state: inout State,
        fees: FeeSchedule
    ) -> ExecuteOutcome {
        Self.settle(&state, upTo: now)
        if state.executions[command.referenceID] == nil { state.executionOrder.append(command.referenceID) }
        var record = state.executions[command.referenceID] ?? ExecutionRecord(referenceID: command.referenceID)
        // Every path out of here records the call, accepted or refused.
        defer { state.executions[command.referenceID] = record }
        record.executeCalls += 1
        if !command.passcodeIssues.isEmpty {
            return .rejected(command.passcodeIssues, duplicate: false)
        }
        if record.accepted {
            state.duplicateExecutes += 1
            record.duplicateExecuteCalls += 1
            return .rejected(
                [
                    ValidationIssue(
                        loc: ["body", "reference_id"],
                        msg: "Execution with this reference_id already exists (duplicate)",
                        type: "value_error.duplicate"
                    )
                ],
                duplicate: true
            )
        }
        let sessionLoc = ["body", "session_id"]
        guard var session = state.sessions[command.sessionID] else {
            return .rejected(
                [ValidationIssue(loc: sessionLoc, msg: "Session not found", type: "value_error.session_not_found")],
                duplicate: false
            )
        }
        guard now < session.expiresAt else {
            return .rejected(
                [ValidationIssue(loc: sessionLoc, msg: "Session has expired", type: "value_error.session_expired")],
                duplicate: false
            )
        }
        guard !session.used else {
            return .rejected(
                [
                    ValidationIssue(
                        loc: sessionLoc,
                        msg: "Session has already been used and is expired",
                        type: "value_error.session_expired"
                    )
                ],
                duplicate: false
            )
        }
        guard command.payoutAccountID == String(session.accountID) else {
            return .rejected(
                [
                    ValidationIssue(
                        loc: ["body", "payout_account_id"],
                        msg: "payout_account_id does not match the session",
                        type: "value_error.mismatch"
                    )
                ],
                duplicate: false
            )
        }
        session.used = true
        state.sessions[session.id] = session
        let terms = ExecutionRecord.Terms(
            sessionID: session.id,
            walletID: session.walletID,
            amount: session.amount,
            fee: fees.fee(for: session.amount),
            acceptedAt: now,
            processingAt: now + fate.pending,
            dueAt: now + fate.pending + fate.processing,
            providerFails: fate.providerFails
        )
        record.terms = terms
        // Settling reads the record from the state: it must be there first.
        state.executions[command.referenceID] = record
        state.executionsAccepted += 1
        state.sequence += 1
        state.queue.insert(.init(due: terms.dueAt, sequence: state.sequence, referenceID: command.referenceID))
        Self.settle(&state, upTo: now)
        record = state.executions[command.referenceID] ?? record
        return .accepted(record)
    }

    /// The accepted execution with this reference, settled as of `now`.
    func execution(_ referenceID: String, now: ContinuousClock.Instant) -> ExecutionRecord? {
        self.state.withLock { state in
            Self.settle(&state, upTo: now)
            guard let record = state.executions[referenceID], record.accepted else { return nil }
            return record
        }
    }

    func snapshot(now: ContinuousClock.Instant) -> SandboxLedgerSnapshot {
        self.state.withLock { state in
            Self.settle(&state, upTo: now)
            let wallets = state.wallets.values.sorted { $0.id < $1.id }.map {
                SandboxWallet(id: $0.id, balance: $0.balance)
            }
            let executions = state.executionOrder.compactMap { referenceID -> SandboxExecution? in
                guard let record = state.executions[referenceID] else { return nil }
                return SandboxExecution(
                    referenceID: referenceID,
                    executeCalls: record.executeCalls,
                    duplicateExecuteCalls: record.duplicateExecuteCalls,
                    refusals: record.refusals,
                    accepted: record.accepted,
                    refusedForFunds: record.refusedForFunds,
                    status: record.status(at: now),
                    amount: record.terms?.amount,
                    debited: record.debited
                )
            }
            return SandboxLedgerSnapshot(wallets: wallets, executions: executions)
        }
    }

    var executionCounters: (accepted: Int, duplicates: Int) {
        self.state.withLock { ($0.executionsAccepted, $0.duplicateExecutes) }
    }

    // MARK: Settlement

    private static func settle(_ state: inout State, upTo now: ContinuousClock.Instant) {
        while let entry = state.queue.popDue(at: now) {
            guard var record = state.executions[entry.referenceID], let terms = record.terms else { continue }
            let total = terms.amount + terms.fee
            if terms.providerFails {
                record.outcome = .failedAtProvider(gatewayMessage: "The mobile money provider declined the transfer")
            } else if let currency = state.wallets.first(where: { $0.value.id == terms.walletID })?.key,
                var wallet = state.wallets[currency], wallet.balance >= total
            {
                wallet.balance = wallet.balance - total
                state.wallets[currency] = wallet
                record.outcome = .completed(providerTransactionID: "SBX-\(entry.sequence)")
            } else {
                let available =
                    state.wallets.values.first(where: { $0.id == terms.walletID })?.balance
                    ?? .zero(total.currency)
                record.outcome = .failedForFunds(
                    walletMessage: "Insufficient wallet balance: \(available) \(total.currency) available, "
                        + "\(total) \(total.currency) required (amount + fees)"
                )
            }
            state.executions[entry.referenceID] = record
        }
    }
}
