/// Why a record is not a payout command. Never carries the record's content (it may hold a phone
/// number), only the field and the rule it broke.
public struct CommandRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The command's reference_id when it could be read: then the rejection is answered with a
    /// REJECTED status event; without one the record can only be dead-lettered.
    public var referenceID: ReferenceID?
    /// The JSON field at fault (`amount`, `recipient.phone`, ...), or `nil` for the record as a whole.
    public var field: String?
    public var message: String

    public init(referenceID: ReferenceID?, field: String?, message: String) {
        self.referenceID = referenceID
        self.field = field
        self.message = message
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }
}
