extension DollrClient {
    /// What a payout will cost and deliver: `GET /v1/predictions/amount-and-fees`.
    public func predictAmountAndFees(_ query: AmountAndFeesQuery) async throws(DollrError) -> AmountAndFeesPrediction {
        let object = try await self.call(
            DollrRequest(method: .GET, path: "/v1/predictions/amount-and-fees", query: query.queryItems)
        )
        return try decode(AmountAndFeesPrediction.init(json:), object, call: "amount and fees")
    }

    /// Which mobile money operator serves `phone`: `GET /v1/predictions/mmo-provider-info`.
    /// The phone travels in the query string (Dollr's design); it is never logged on our side.
    public func lookupProvider(phone: PhoneNumber) async throws(DollrError) -> MobileMoneyProviderInfo {
        let object = try await self.call(
            DollrRequest(
                method: .GET,
                path: "/v1/predictions/mmo-provider-info",
                query: [("phone", phone.revealed), ("operation_type", OperationType.payout.rawValue)]
            )
        )
        return try decode(MobileMoneyProviderInfo.init(json:), object, call: "provider lookup")
    }
}
