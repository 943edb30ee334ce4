public import DollrClient

/// What intake accepts: currencies, amount ceilings, record size.
public struct CommandPolicy: Sendable {
    /// ISO 4217 codes accepted; others are rejected with VALIDATION_ERROR.
    public var allowedCurrencies: Set<CurrencyCode> = [.usd, .lrd]
    /// Per-currency ceiling; a currency without one has no ceiling beyond Int64 minor units.
    public var maximumAmounts: [CurrencyCode: Money] = [
        .usd: Money(minorUnits: 1_000_000, currency: .usd),  // 10,000.00
        .lrd: Money(minorUnits: 200_000_000, currency: .lrd),  // 2,000,000.00
    ]
    /// Records above this size are refused before parsing.
    public var maximumRecordBytes = 64 * 1024

    public init() {}
}
