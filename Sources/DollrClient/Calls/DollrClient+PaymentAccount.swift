extension DollrClient {
    /// Registers a payout recipient: `POST /v1/payment-accounts/create?operation_type=PAYOUT`.
    public func createPaymentAccount(_ request: CreatePaymentAccountRequest) async throws(DollrError) -> PaymentAccount
    {
        let object = try await self.call(
            DollrRequest(
                method: .POST,
                path: "/v1/payment-accounts/create",
                query: [("operation_type", OperationType.payout.rawValue)],
                body: request.json
            )
        )
        return try decode(PaymentAccount.init(json:), object, call: "payment account")
    }
}

/// Runs a response initialiser, turning a shape error into ``DollrError/invalidResponse(_:)``.
func decode<T>(
    _ initialiser: (JSONObject) throws(JSONShapeError) -> T,
    _ object: JSONObject,
    call: String
)
    throws(DollrError) -> T
{
    do {
        return try initialiser(object)
    } catch {
        throw .invalidResponse("\(call): \(error)")
    }
}
