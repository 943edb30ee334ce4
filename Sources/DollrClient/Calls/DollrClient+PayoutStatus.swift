public import struct Foundation.UUID

extension DollrClient {
    /// The current state of an execution: `GET /v1/status/payout/{reference_id}`.
    /// ``DollrError/notFound`` means no execution with this reference ever landed.
    public func payoutStatus(referenceID: UUID) async throws(DollrError) -> PayoutExecution {
        let object = try await self.call(
            DollrRequest(
                method: .GET,
                path: "/v1/status/payout/\(referenceID.uuidString.lowercased())",
                route: "/v1/status/payout/{reference_id}"
            )
        )
        return try decode(PayoutExecution.init(json:), object, call: "payout status")
    }
}
