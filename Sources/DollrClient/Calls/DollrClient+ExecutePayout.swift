extension DollrClient {
    /// Executes a session: `POST /v1/executions/payout`, with the merchant passcode from configuration.
    ///
    /// Not idempotent: a timeout, a lost connection or a 5xx give ``DollrError/outcomeUnknown(_:)``; poll
    /// ``payoutStatus(referenceID:)`` with the same reference before doing anything else.
    public func executePayout(_ request: ExecutePayoutRequest) async throws(DollrError) -> PayoutExecution {
        let credentials = self.configuration.credentials
        let passcode: JSONObject = [
            "token": .object([
                "code": .string(credentials.passcode.revealed),
                "phone": .string(credentials.passcodePhone.revealed),
            ]),
            "device": .object(self.configuration.device.json),
        ]
        let object = try await self.call(
            DollrRequest(
                method: .POST,
                path: DollrRequest.executePath,
                body: [
                    "session_id": .string(request.sessionID),
                    "payout_account_id": .string(String(request.payoutAccountID)),
                    "reference_id": .string(request.referenceID.uuidString.lowercased()),
                    "passcode": .object(passcode),
                ],
                isIdempotent: false
            )
        )
        return try decode(PayoutExecution.init(json:), object, call: "execute payout")
    }
}
