import DollrClient
import Foundation

// The persisted form of the state: one flat JSON object per payout, keys sorted, absent values
// left out. Every payout in a store is kept in this shape, so it is the one the engine writes too:
// each phase's data goes into the fields it has always been kept in, and reading a document checks
// that its phase's fields are there. A replica still running an older release reads what a newer
// one wrote, and the other way round.
extension PayoutState {
    struct Document: Sendable, Hashable, Decodable {
        struct Command: Sendable, Hashable, Decodable {
            var referenceID: ReferenceID
            var amountMinor: Int64
            var currency: String
            var payoutAccountID: Int?
            var recipient: Recipient?
            var requestedAt: String?
            var metadata: [String: String]
        }

        struct Recipient: Sendable, Hashable, Decodable {
            var accountName: String
            var partyID: Int
            /// Kept until the payout account exists, then left out.
            var phone: String?
            var provider: String
            var method: String
            var countryCode: String?
        }

        var command: Command
        var phase: PayoutPhase
        var status: PayoutStatus
        var reason: PayoutReason?
        var holdMinor: Int64?
        var feeMinor: Int64?
        var payoutAccountID: Int?
        var sessionID: String?
        var walletID: String?
        var providerStatus: String?
        var providerTransactionID: String?
        var debitedMinor: Int64?
        var executeAttempts: Int
        var executeSentAt: Int64?
        var pollingSince: Int64?
        var polls: Int
        var transientFailures: Int
        var executePresumedLost: Bool?
        var pendingFailure: PayoutReason?
        var reviewSince: Int64?
        var traceParent: String?
        var traceState: String?
    }

    /// A stored document that does not hold what its phase needs.
    struct UnreadableDocument: Error, Sendable, Hashable, CustomStringConvertible {
        var phase: PayoutPhase
        var problem: String

        var description: String { "a payout in phase \(phase.rawValue) \(problem)" }
    }

    /// Written with the house JSON writer from strings, integers and booleans only: there is
    /// nothing in it that cannot be written, so writing cannot fail.
    func encoded() -> String {
        JSONWriter.serialize(document.json)
    }

    static func decode(_ text: String) throws -> PayoutState {
        try PayoutState(document: JSONDecoder().decode(Document.self, from: Data(text.utf8)))
    }

    /// The command as the document keeps it: the recipient's phone with it while the payout
    /// account is still to be registered.
    var command: Document.Command {
        Document.Command(
            referenceID: request.referenceID,
            amountMinor: amountMinor,
            currency: currency.code,
            payoutAccountID: request.payoutAccountID,
            recipient: request.recipient.map { recipient in
                Document.Recipient(
                    accountName: recipient.accountName,
                    partyID: recipient.partyID,
                    phone: recipientPhone?.revealed,
                    provider: recipient.provider,
                    method: recipient.method,
                    countryCode: recipient.countryCode
                )
            },
            requestedAt: request.requestedAt,
            metadata: request.metadata
        )
    }

    var document: Document {
        Document(
            command: command,
            phase: phase,
            status: status,
            reason: reason,
            holdMinor: holdMinor,
            feeMinor: feeMinor,
            payoutAccountID: payoutAccountID,
            sessionID: sessionID,
            walletID: walletID,
            providerStatus: providerStatus,
            providerTransactionID: providerTransactionID,
            debitedMinor: debitedMinor,
            executeAttempts: executeAttempts,
            executeSentAt: executeSentAt,
            pollingSince: pollingSince,
            polls: polls,
            transientFailures: transientFailures,
            executePresumedLost: executePresumedLost,
            pendingFailure: pendingFailure,
            reviewSince: reviewSince,
            traceParent: traceParent,
            traceState: traceState
        )
    }

    init(document: Document) throws(UnreadableDocument) {
        let reader = DocumentReader(document: document)
        let command = document.command
        let currency: CurrencyCode
        do { currency = try CurrencyCode(command.currency) } catch {
            throw UnreadableDocument(phase: document.phase, problem: "has an invalid command.currency: \(error)")
        }
        self.init(
            request: Request(
                referenceID: command.referenceID,
                amount: Money(minorUnits: command.amountMinor, currency: currency),
                payoutAccountID: command.payoutAccountID,
                recipient: command.recipient.map { recipient in
                    Recipient(
                        accountName: recipient.accountName,
                        partyID: recipient.partyID,
                        provider: recipient.provider,
                        method: recipient.method,
                        countryCode: recipient.countryCode
                    )
                },
                requestedAt: command.requestedAt,
                metadata: command.metadata
            ),
            status: document.status,
            reason: document.reason,
            transientFailures: document.transientFailures,
            traceParent: document.traceParent,
            traceState: document.traceState,
            progress: try reader.progress()
        )
    }
}

/// Reads a document's phase data, refusing a document that lacks what its phase needs.
private struct DocumentReader {
    typealias State = PayoutState
    let document: State.Document

    func progress() throws(State.UnreadableDocument) -> State.Progress {
        switch document.phase {
        case .accepted:
            return .accepted(State.Accepted(account: try account()))
        case .reserved:
            try refuseAnswer()
            return .reserved(State.Reserved(hold: try hold(), account: try account()))
        case .accountReady:
            try refuseAnswer()
            return .accountReady(
                State.AccountReady(
                    hold: try hold(),
                    payoutAccountID: try required(document.payoutAccountID, "payoutAccountID"),
                    earlier: try earlier()
                )
            )
        case .sessionReady:
            try refuseAnswer()
            let walletID = try required(document.walletID, "walletID")
            return .sessionReady(
                State.SessionReady(
                    hold: try hold(),
                    payoutAccountID: try required(document.payoutAccountID, "payoutAccountID"),
                    session: State.Session(id: try required(document.sessionID, "sessionID"), walletID: walletID),
                    earlier: try earlier()
                )
            )
        case .executing:
            try refuseAnswer()
            return .executing(
                State.Executing(
                    hold: try hold(),
                    payoutAccountID: try required(document.payoutAccountID, "payoutAccountID"),
                    sessionID: try required(document.sessionID, "sessionID"),
                    execution: try execution()
                )
            )
        case .polling:
            return .polling(
                State.Polling(
                    hold: try hold(),
                    payoutAccountID: try required(document.payoutAccountID, "payoutAccountID"),
                    sessionID: document.sessionID,
                    execution: try execution(),
                    answer: try answer(),
                    pendingFailure: document.pendingFailure
                )
            )
        case .underReview:
            return .underReview(
                State.UnderReview(
                    hold: try hold(),
                    payoutAccountID: try required(document.payoutAccountID, "payoutAccountID"),
                    sessionID: document.sessionID,
                    execution: try execution(),
                    answer: try answer(),
                    since: try required(document.reviewSince, "reviewSince")
                )
            )
        case .finished:
            return .finished(
                State.Finished(
                    hold: try hold(),
                    payoutAccountID: document.payoutAccountID,
                    sessionID: document.sessionID,
                    execution: try earlier(),
                    answer: try answer(),
                    debitedMinor: document.debitedMinor,
                    reviewSince: document.reviewSince
                )
            )
        }
    }

    private func required<T>(_ value: T?, _ field: String) throws(State.UnreadableDocument) -> T {
        guard let value else { throw refusal("has no \(field)") }
        return value
    }

    private func refusal(_ problem: String) -> State.UnreadableDocument {
        State.UnreadableDocument(phase: document.phase, problem: problem)
    }

    /// Both amounts, or neither (a hold skipped for a wallet without a declared balance).
    private func hold() throws(State.UnreadableDocument) -> State.Hold? {
        switch (document.holdMinor, document.feeMinor) {
        case (let total?, let fee?): return State.Hold(totalMinor: total, feeMinor: fee)
        case (nil, nil): return nil
        case (_?, nil), (nil, _?): throw refusal("has only one of holdMinor and feeMinor")
        }
    }

    /// The account Dollr pays into: the registered one, else the recipient to register, phone included.
    private func account() throws(State.UnreadableDocument) -> State.PayeeAccount {
        if let id = document.payoutAccountID ?? document.command.payoutAccountID { return .registered(id: id) }
        let recipient = try required(document.command.recipient, "command.recipient (nor payoutAccountID)")
        let phoneText = try required(recipient.phone, "command.recipient.phone")
        let phone: PhoneNumber
        do { phone = try PhoneNumber(phoneText) } catch {
            // The phone's digits are never part of a message.
            throw refusal("has an invalid command.recipient.phone")
        }
        return .toRegister(
            RecipientDetails(
                accountName: recipient.accountName,
                partyID: recipient.partyID,
                phone: phone,
                provider: PaymentProvider(rawValue: recipient.provider),
                method: PaymentMethod(rawValue: recipient.method),
                countryCode: recipient.countryCode
            )
        )
    }

    private func execution() throws(State.UnreadableDocument) -> State.Execution {
        guard document.executeAttempts > 0 else { throw refusal("has no execute attempt") }
        return State.Execution(
            attempts: document.executeAttempts,
            sentAt: try required(document.executeSentAt, "executeSentAt"),
            walletID: try required(document.walletID, "walletID"),
            presumedLost: document.executePresumedLost == true,
            pollingSince: document.pollingSince,
            polls: document.polls
        )
    }

    /// The executes sent before, if any were.
    private func earlier() throws(State.UnreadableDocument) -> State.Execution? {
        document.executeAttempts > 0 ? try execution() : nil
    }

    private func answer() throws(State.UnreadableDocument) -> State.DollrAnswer? {
        guard let status = document.providerStatus else {
            if document.providerTransactionID != nil {
                throw refusal("has a providerTransactionID without providerStatus")
            }
            return nil
        }
        return State.DollrAnswer(status: status, transactionID: document.providerTransactionID)
    }

    /// Dollr reports a payout only once it was executed: an answer before then would change what
    /// a 404 means, so such a document is refused rather than read without it.
    private func refuseAnswer() throws(State.UnreadableDocument) {
        if document.providerStatus != nil { throw refusal("has providerStatus before any execute") }
    }
}

// MARK: - Writing

extension PayoutState.Document {
    var json: JSONValue {
        Self.object([
            ("command", command.json),
            ("phase", .string(phase.rawValue)),
            ("status", .string(status.rawValue)),
            ("reason", reason.map(Self.json)),
            ("holdMinor", holdMinor.map(JSONValue.integer)),
            ("feeMinor", feeMinor.map(JSONValue.integer)),
            ("payoutAccountID", payoutAccountID.map(JSONValue.integer)),
            ("sessionID", sessionID.map(JSONValue.string)),
            ("walletID", walletID.map(JSONValue.string)),
            ("providerStatus", providerStatus.map(JSONValue.string)),
            ("providerTransactionID", providerTransactionID.map(JSONValue.string)),
            ("debitedMinor", debitedMinor.map(JSONValue.integer)),
            ("executeAttempts", .integer(executeAttempts)),
            ("executeSentAt", executeSentAt.map(JSONValue.integer)),
            ("pollingSince", pollingSince.map(JSONValue.integer)),
            ("polls", .integer(polls)),
            ("transientFailures", .integer(transientFailures)),
            ("executePresumedLost", executePresumedLost.map(JSONValue.bool)),
            ("pendingFailure", pendingFailure.map(Self.json)),
            ("reviewSince", reviewSince.map(JSONValue.integer)),
            ("traceParent", traceParent.map(JSONValue.string)),
            ("traceState", traceState.map(JSONValue.string)),
        ])
    }

    /// The members that have a value, in key order.
    static func object(_ members: [(String, JSONValue?)]) -> JSONValue {
        var object = JSONObject()
        for (key, value) in members.sorted(by: { $0.0 < $1.0 }) {
            if let value { object[key] = value }
        }
        return .object(object)
    }

    static func json(_ reason: PayoutReason) -> JSONValue {
        object([("code", .string(reason.code.rawValue)), ("message", .string(reason.message))])
    }
}

extension PayoutState.Document.Command {
    var json: JSONValue {
        PayoutState.Document.object([
            ("referenceID", .string(referenceID.text)),
            ("amountMinor", .integer(amountMinor)),
            ("currency", .string(currency)),
            ("payoutAccountID", payoutAccountID.map(JSONValue.integer)),
            ("recipient", recipient?.json),
            ("requestedAt", requestedAt.map(JSONValue.string)),
            ("metadata", PayoutState.Document.object(metadata.map { ($0.key, JSONValue.string($0.value)) })),
        ])
    }
}

extension PayoutState.Document.Recipient {
    var json: JSONValue {
        PayoutState.Document.object([
            ("accountName", .string(accountName)),
            ("partyID", .integer(partyID)),
            ("phone", phone.map(JSONValue.string)),
            ("provider", .string(provider)),
            ("method", .string(method)),
            ("countryCode", countryCode.map(JSONValue.string)),
        ])
    }
}
