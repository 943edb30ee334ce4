/// Dollr's `provider` enum. A struct rather than an enum so that a value Dollr adds later still decodes.
public struct PaymentProvider: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let mtnMomoLiberia = PaymentProvider(rawValue: "MTN_MOMO_LBR")
    public static let orangeMoneyLiberia = PaymentProvider(rawValue: "ORANGE_MONEY_LBR")
    public static let pawaPay = PaymentProvider(rawValue: "PAWAPAY")
    public static let stripe = PaymentProvider(rawValue: "STRIPE")
    public static let platform = PaymentProvider(rawValue: "PLATFORM")

    /// Every documented value.
    public static let documented: [PaymentProvider] = [
        .mtnMomoLiberia, .orangeMoneyLiberia, .pawaPay, .stripe, .platform,
    ]

    public var description: String { self.rawValue }
}
