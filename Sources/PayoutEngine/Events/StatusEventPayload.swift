import CivilTime
import DollrClient
import Foundation

/// Builds the value of a `payouts.status` record:
/// `{"reference_id","sequence","status","amount","currency","reason":{"code","message"}|null,
///   "provider":{"session_id","wallet_id","transaction_id","status"}|null,"occurred_at"}`.
/// Amounts are decimal strings in major units. No phone number or secret is ever part of it.
enum StatusEventPayload {
    static func build(state: PayoutState, sequence: Int, occurredAt: Int64) -> String {
        var provider: JSONValue = .null
        if state.sessionID != nil || state.providerStatus != nil {
            provider = .object([
                "session_id": state.sessionID.map(JSONValue.string) ?? .null,
                "wallet_id": state.walletID.map(JSONValue.string) ?? .null,
                "transaction_id": state.providerTransactionID.map(JSONValue.string) ?? .null,
                "status": state.providerStatus.map(JSONValue.string) ?? .null,
            ])
        }
        return JSONWriter.serialize(
            JSONObject(
                dictionaryLiteral: ("reference_id", .string(state.request.referenceID.text)),
                ("sequence", .integer(sequence)),
                ("status", .string(state.status.rawValue)),
                ("amount", .string(state.amount.description)),
                ("currency", .string(state.currency.code)),
                ("reason", reason(state.reason)),
                ("provider", provider),
                ("occurred_at", .string(Timestamp.rfc3339(milliseconds: occurredAt)))
            )
        )
    }

    /// The REJECTED event of a command that failed validation (sequence 0). Amount and currency
    /// are echoed only when they were valid.
    static func rejection(referenceID: String, amount: Money?, reason: PayoutReason, occurredAt: Int64) -> String {
        JSONWriter.serialize(
            JSONObject(
                dictionaryLiteral: ("reference_id", .string(referenceID)),
                ("sequence", .integer(0)),
                ("status", .string(PayoutStatus.rejected.rawValue)),
                ("amount", amount.map { .string($0.description) } ?? .null),
                ("currency", amount.map { .string($0.currency.code) } ?? .null),
                ("reason", Self.reason(reason)),
                ("provider", .null),
                ("occurred_at", .string(Timestamp.rfc3339(milliseconds: occurredAt)))
            )
        )
    }

    private static func reason(_ reason: PayoutReason?) -> JSONValue {
        guard let reason else { return .null }
        return .object(["code": .string(reason.code.rawValue), "message": .string(reason.message)])
    }
}
