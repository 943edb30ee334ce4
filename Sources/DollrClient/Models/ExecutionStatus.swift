/// An execution's `status`. Dollr types it as a free string, so unknown values are kept and treated as not terminal.
public struct ExecutionStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let pending = ExecutionStatus(rawValue: "PENDING")
    public static let processing = ExecutionStatus(rawValue: "PROCESSING")
    public static let completed = ExecutionStatus(rawValue: "COMPLETED")
    public static let failed = ExecutionStatus(rawValue: "FAILED")

    /// `COMPLETED` or `FAILED`; anything else means keep polling.
    public var isTerminal: Bool { self == .completed || self == .failed }

    public var description: String { self.rawValue }
}
