import DollrClient
import Testing

@testable import PayoutEngine

@Suite("Hold sizing from Dollr's prediction")
struct HoldSizingTests {
    static func prediction(
        payer: String,
        platform: String,
        gateway: String?,
        fx: String?
    ) throws -> AmountAndFeesPrediction {
        let text = """
            {"payer_amount":"\(payer)","payer_currency":"USD","payee_amount":"100.00","payee_currency":"USD",
             "platform_fee":"\(platform)","platform_currency":"USD","fx_fee":\(fx.map { "\"\($0)\"" } ?? "null"),
             "gateway_fee":\(gateway.map { "\"\($0)\"" } ?? "null"),"gateway_currency":\(gateway == nil ? "null" : "\"USD\"")}
            """
        let value = try JSONParser.parse(text)
        guard case .object(let object) = value else {
            Issue.record("not an object: \(value)")
            throw CancellationError()
        }
        return try AmountAndFeesPrediction(json: object)
    }

    static let base = Money(minorUnits: 10_000, currency: .usd)

    @Test("the payer amount, when it already includes every fee")
    func payerAmountIncludesFees() throws {
        let prediction = try Self.prediction(payer: "101.50", platform: "1.00", gateway: "0.50", fx: nil)
        #expect(prediction.largestDebit(of: Self.base) == Money(minorUnits: 10_150, currency: .usd))
    }

    @Test("base plus every fee, when the payer amount leaves the gateway and FX fees out")
    func feesOnTop() throws {
        let prediction = try Self.prediction(payer: "101.00", platform: "1.00", gateway: "0.50", fx: "0.25")
        #expect(prediction.largestDebit(of: Self.base) == Money(minorUnits: 10_175, currency: .usd))
    }
}
