/// A strict RFC 8259 parser producing ``JSONValue``; numbers stay text, nesting depth is bounded.
///
/// The parser recurses once per nested array or object, so the depth limit is also what keeps
/// hostile input (100,000 `[`) from overflowing the stack: it is checked before each descent.
package struct JSONParser {
    /// What to do when an object names a member twice.
    package enum DuplicateNames: Sendable {
        /// The last one wins, as in Python's `json` (Dollr's responses).
        case lastWins
        /// The document is refused: readers that keep the first one would see another value, so
        /// a command with two `amount`s cannot be trusted for either. The name is withheld from
        /// the error: in a command it may be anything upstream sent.
        case refuse
        /// Refused, naming the member: for our own files, whose names are setting keys.
        case refuseNamingIt
    }

    package struct Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        package var offset: Int
        package var reason: String
        package var description: String { "invalid JSON at byte \(self.offset): \(self.reason)" }
    }

    private let bytes: [UInt8]
    private var index = 0
    private let maximumDepth: Int
    private let duplicateNames: DuplicateNames

    private init(bytes: [UInt8], maximumDepth: Int, duplicateNames: DuplicateNames) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
        self.duplicateNames = duplicateNames
    }

    /// Parses one complete JSON document; trailing non-whitespace is an error.
    /// - Parameter maximumDepth: the most arrays and objects nested in one another (the root counts).
    package static func parse(
        _ bytes: [UInt8],
        maximumDepth: Int = 32,
        duplicateNames: DuplicateNames = .lastWins
    ) throws(Error) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maximumDepth: maximumDepth, duplicateNames: duplicateNames)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else {
            throw parser.error("unexpected trailing data")
        }
        return value
    }

    package static func parse(_ text: String) throws(Error) -> JSONValue {
        try self.parse(Array(text.utf8))
    }

    // MARK: Values

    /// `depth` counts the arrays and objects around the value.
    private mutating func parseValue(depth: Int) throws(Error) -> JSONValue {
        guard let byte = self.peek() else { throw self.error("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < self.maximumDepth else {
                throw self.error("arrays and objects nested deeper than \(self.maximumDepth) levels")
            }
            return byte == UInt8(ascii: "{")
                ? .object(try self.parseObject(depth: depth + 1)) : .array(try self.parseArray(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try self.parseString())
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try self.parseNumber())
        default: throw self.error("unexpected character")
        }
    }

    /// Members are collected with an index of their names, so an object of many members costs
    /// linear time (a 1 MiB body of distinct names must not take minutes).
    private mutating func parseObject(depth: Int) throws(Error) -> JSONObject {
        self.index += 1
        var members: [JSONObject.Member] = []
        var positions: [String: Int] = [:]
        self.skipWhitespace()
        if self.peek() == UInt8(ascii: "}") {
            self.index += 1
            return JSONObject(members: members)
        }
        while true {
            self.skipWhitespace()
            guard self.peek() == UInt8(ascii: "\"") else { throw self.error("expected a member name") }
            let nameOffset = self.index
            let key = try self.parseString()
            self.skipWhitespace()
            guard self.peek() == UInt8(ascii: ":") else { throw self.error("expected ':'") }
            self.index += 1
            self.skipWhitespace()
            let value = try self.parseValue(depth: depth)
            if let position = positions[key] {
                switch self.duplicateNames {
                case .lastWins: break
                case .refuse: throw Error(offset: nameOffset, reason: "duplicate member name")
                case .refuseNamingIt: throw Error(offset: nameOffset, reason: "\"\(key)\" is given twice in one object")
                }
                members[position].value = value
            } else {
                positions[key] = members.count
                members.append(JSONObject.Member(key: key, value: value))
            }
            self.skipWhitespace()
            switch self.peek() {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return JSONObject(members: members)
            default: throw self.error("expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(Error) -> [JSONValue] {
        self.index += 1
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if self.peek() == UInt8(ascii: "]") {
            self.index += 1
            return elements
        }
        while true {
            self.skipWhitespace()
            elements.append(try self.parseValue(depth: depth))
            self.skipWhitespace()
            switch self.peek() {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return elements
            default: throw self.error("expected ',' or ']'")
            }
        }
    }

    // MARK: Scalars

    private mutating func parseString() throws(Error) -> String {
        self.index += 1
        var utf8: [UInt8] = []
        while true {
            guard let byte = self.peek() else { throw self.error("unterminated string") }
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: utf8, as: UTF8.self) else {
                    throw self.error("string is not valid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                try self.parseEscape(into: &utf8)
            case 0x00..<0x20:
                throw self.error("control character in string")
            default:
                utf8.append(byte)
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(Error) {
        guard let byte = self.peek() else { throw self.error("unterminated escape") }
        self.index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalarValue = UInt32(try self.parseHex4())
            if (0xD800..<0xDC00).contains(scalarValue) {
                guard self.peek() == UInt8(ascii: "\\"), self.peek(at: 1) == UInt8(ascii: "u") else {
                    throw self.error("unpaired surrogate")
                }
                self.index += 2
                let low = UInt32(try self.parseHex4())
                guard (0xDC00..<0xE000).contains(low) else { throw self.error("unpaired surrogate") }
                scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { throw self.error("invalid unicode escape") }
            utf8.append(contentsOf: String(Character(scalar)).utf8)
        default:
            throw self.error("invalid escape")
        }
    }

    private mutating func parseHex4() throws(Error) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = self.peek() else { throw self.error("truncated unicode escape") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw self.error("invalid unicode escape")
            }
            value = value << 4 | UInt16(digit)
            self.index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(Error) -> String {
        let start = self.index
        if self.peek() == UInt8(ascii: "-") { self.index += 1 }
        if self.peek() == UInt8(ascii: "0") {
            self.index += 1
        } else if self.skipDigits() == 0 {
            throw self.error("invalid number")
        }
        if self.peek() == UInt8(ascii: ".") {
            self.index += 1
            guard self.skipDigits() > 0 else { throw self.error("invalid number") }
        }
        if self.peek() == UInt8(ascii: "e") || self.peek() == UInt8(ascii: "E") {
            self.index += 1
            if self.peek() == UInt8(ascii: "+") || self.peek() == UInt8(ascii: "-") { self.index += 1 }
            guard self.skipDigits() > 0 else { throw self.error("invalid number") }
        }
        return String(decoding: self.bytes[start..<self.index], as: UTF8.self)
    }

    // MARK: Helpers

    private mutating func skipDigits() -> Int {
        var count = 0
        while let byte = self.peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            self.index += 1
            count += 1
        }
        return count
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(Error) {
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard self.bytes.count - self.index >= expected.count,
            self.bytes[self.index..<self.index + expected.count].elementsEqual(expected)
        else {
            throw self.error("invalid literal")
        }
        self.index += expected.count
    }

    private mutating func skipWhitespace() {
        while let byte = self.peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            self.index += 1
        }
    }

    private func peek(at offset: Int = 0) -> UInt8? {
        let position = self.index + offset
        return position < self.bytes.count ? self.bytes[position] : nil
    }

    private func error(_ reason: String) -> Error {
        Error(offset: self.index, reason: reason)
    }
}
