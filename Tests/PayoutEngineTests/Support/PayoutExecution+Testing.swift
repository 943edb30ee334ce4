import DollrClient
import Foundation

extension PayoutExecution {
    /// An ExecutionResponse as Dollr would send it, built through the client's own decoder.
    init(testing referenceID: UUID, status: ExecutionStatus, payerMinor: Int64, currency: String) throws {
        let payer = Money(minorUnits: payerMinor, currency: try CurrencyCode(currency))
        try self.init(json: [
            "reference_id": .string(referenceID.uuidString.lowercased()), "status": .string(status.rawValue),
            "payer_amount": .number(payer.description), "payer_currency": .string(currency),
            "payee_amount": .number(payer.description), "payee_currency": .string(currency),
            "operation_type": .string("PAYOUT"),
        ])
    }
}
