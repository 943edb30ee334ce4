import DollrClient

/// Response bodies of the Dollr API, in the documented shapes.
extension Sandbox {
    func timestamp(_ instant: ContinuousClock.Instant) -> JSONValue {
        .string(SandboxTimestamp.format(self.clock.date(of: instant)))
    }

    func render(_ account: AccountRecord) -> JSONObject {
        [
            "id": .integer(account.id), "account_name": .string(account.accountName),
            "provider": .string(account.provider), "method": .string(account.method),
            "party_id": .integer(account.partyID), "is_active": .bool(true),
            "country_code": account.countryCode.map { .string($0) } ?? .null,
            "created_at": self.timestamp(account.createdAt), "updated_at": self.timestamp(account.createdAt),
        ]
    }

    /// The amount goes out as a JSON number, as it came in.
    func render(_ session: SessionRecord, now: ContinuousClock.Instant) -> JSONObject {
        [
            "id": .string(session.id), "wallet_id": .integer(session.walletID),
            "payout_account_id": .integer(session.accountID), "amount": .number(session.amount.description),
            "currency": .string(session.amount.currency.code),
            "status": .string(session.used ? "USED" : now < session.expiresAt ? "PENDING" : "EXPIRED"),
            "expires_at": self.timestamp(session.expiresAt), "created_at": self.timestamp(session.createdAt),
            "updated_at": self.timestamp(session.createdAt),
        ]
    }

    /// ExecutionResponse; amounts as strings. Payer pays amount + fee, payee gets the amount.
    func render(_ record: ExecutionRecord, now: ContinuousClock.Instant) -> JSONObject {
        guard let terms = record.terms, let status = record.status(at: now) else {
            preconditionFailure("only accepted executions are rendered")
        }
        var providerTransactionID: JSONValue = .null
        var gatewayMessage: JSONValue = .null
        var walletMessage: JSONValue = .null
        switch record.outcome {
        case .completed(let id)?: providerTransactionID = .string(id)
        case .failedAtProvider(let message)?: gatewayMessage = .string(message)
        case .failedForFunds(let message)?: walletMessage = .string(message)
        case nil: break
        }
        return [
            "reference_id": .string(record.referenceID), "status": .string(status.rawValue),
            "payer_amount": .string((terms.amount + terms.fee).description),
            "payer_currency": .string(terms.amount.currency.code),
            "payee_amount": .string(terms.amount.description), "payee_currency": .string(terms.amount.currency.code),
            "operation_type": .string(OperationType.payout.rawValue),
            "provider_transaction_id": providerTransactionID, "gateway_message": gatewayMessage,
            "wallet_message": walletMessage,
        ]
    }
}
