extension DollrClient {
    /// Opens a payout session for an amount to a registered account: `POST /v1/sessions/payout`.
    /// Dollr binds the session to the merchant wallet of the amount's currency.
    public func createPayoutSession(_ request: CreatePayoutSessionRequest) async throws(DollrError) -> PayoutSession {
        let object = try await self.call(DollrRequest(method: .POST, path: "/v1/sessions/payout", body: request.json))
        return try decode(PayoutSession.init(json:), object, call: "payout session")
    }
}
