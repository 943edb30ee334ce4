/// Who pays the fees in a fee prediction (`fee_bearer`).
///
/// Dollr documents the parameter but not its values; `PAYER` and `PAYEE` are our assumption, mirrored by the sandbox.
public struct FeeBearer: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Fees are added on top of the amount (what a payout debits: amount + fee).
    public static let payer = FeeBearer(rawValue: "PAYER")
    /// Fees are taken out of the amount.
    public static let payee = FeeBearer(rawValue: "PAYEE")

    public var description: String { self.rawValue }
}
