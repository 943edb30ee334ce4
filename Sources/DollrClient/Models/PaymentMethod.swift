/// Dollr's `method` enum. A struct rather than an enum so that a value Dollr adds later still decodes.
public struct PaymentMethod: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let mtnMomoLiberia = PaymentMethod(rawValue: "MTN_MOMO_LBR")
    public static let orangeMoneyLiberia = PaymentMethod(rawValue: "ORANGE_MONEY_LBR")
    public static let airtelRwanda = PaymentMethod(rawValue: "AIRTEL_RWA")
    public static let mtnMomoRwanda = PaymentMethod(rawValue: "MTN_MOMO_RWA")
    public static let orangeMoneyRwanda = PaymentMethod(rawValue: "ORANGE_MONEY_RWA")
    public static let creditCard = PaymentMethod(rawValue: "CREDIT_CARD")
    public static let wallet = PaymentMethod(rawValue: "WALLET")

    /// Every documented value.
    public static let documented: [PaymentMethod] = [
        .mtnMomoLiberia, .orangeMoneyLiberia, .airtelRwanda, .mtnMomoRwanda, .orangeMoneyRwanda, .creditCard, .wallet,
    ]

    public var description: String { self.rawValue }
}
