/// A mobile money number (MSISDN): E.164 digits without the `+`, e.g. `231770000001`.
///
/// Personal data: its textual views mask all but the last four digits (`********0001`) and it is not `Encodable`;
/// ``revealed`` gives the digits for the wire.
public struct PhoneNumber: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let digits: String

    /// Accepts 8 to 15 ASCII digits, not starting with 0, optionally preceded by `+` (which is dropped).
    public init(_ text: String) throws(PhoneNumberError) {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard (8...15).contains(digits.count), digits.allSatisfy(\.isASCIIDigit), digits.first != "0" else {
            throw PhoneNumberError()
        }
        self.digits = String(digits)
    }

    /// The digits, for the wire only.
    public var revealed: String { self.digits }

    /// All but the last four digits replaced by `*`.
    public var description: String {
        String(repeating: "*", count: self.digits.count - 4) + self.digits.suffix(4)
    }

    public var debugDescription: String { self.description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension PhoneNumber: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            try self.init(try container.decode(String.self))
        } catch let error as PhoneNumberError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }
}

/// Text that is not an MSISDN. Carries no copy of the text: it may be someone's phone number.
public struct PhoneNumberError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String { "phone number must be 8 to 15 digits in E.164 form without '+'" }
}
