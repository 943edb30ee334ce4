public import DollrClient

/// The sandbox's fee: a percentage of the amount, rounded up to the minor unit, never below a per-currency minimum.
///
/// Default: 1% (100 basis points), minimum USD 0.10, LRD 10.00, one minor unit elsewhere. The same function prices
/// the fee prediction and the debit at settlement, so a prediction is exactly what the wallet loses.
public struct FeeSchedule: Sendable, Hashable {
    public var basisPoints: Int
    public var minimums: [CurrencyCode: Money]

    public init(basisPoints: Int = 100, minimums: [CurrencyCode: Money] = FeeSchedule.defaultMinimums) {
        self.basisPoints = basisPoints
        self.minimums = minimums
    }

    public static let defaultMinimums: [CurrencyCode: Money] = [
        .usd: Money(minorUnits: 10, currency: .usd),
        .lrd: Money(minorUnits: 1000, currency: .lrd),
    ]

    /// The fee for paying out `amount`; exact integer arithmetic (128-bit, so no amount can overflow it).
    public func fee(for amount: Money) -> Money {
        let product = Int128(amount.minorUnits) * Int128(self.basisPoints)
        let (quotient, remainder) = product.quotientAndRemainder(dividingBy: 10_000)
        let percentage = remainder > 0 ? quotient + 1 : quotient
        let minimum = self.minimums[amount.currency]?.minorUnits ?? 1
        let fee = max(percentage, Int128(minimum))
        return Money(minorUnits: Int64(clamping: fee), currency: amount.currency)
    }
}
