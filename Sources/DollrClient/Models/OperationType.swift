/// Dollr's `operation_type`; this worker only ever uses ``payout``.
public struct OperationType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let payout = OperationType(rawValue: "PAYOUT")

    public var description: String { self.rawValue }
}
