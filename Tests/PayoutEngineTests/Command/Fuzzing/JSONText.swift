import PropertyBased

/// JSON as the property tests write it, independent of the parser and writer under test.
/// `token` is written verbatim, so a test can place bytes no JSON writer would produce
/// (`NaN`, `0x10`, a lone surrogate escape, invalid UTF-8).
indirect enum JSONText: Sendable, Equatable {
    struct Member: Sendable, Equatable {
        var name: String
        var value: JSONText
    }

    case null
    case bool(Bool)
    /// A number literal, written as given.
    case number(String)
    case string(String)
    case array([JSONText])
    case object([Member])
    case token([UInt8])

    static func token(_ text: String) -> JSONText { .token(Array(text.utf8)) }

    /// The value's bytes, written the many ways JSON allows: whitespace between tokens, and each
    /// character of a string raw or escaped (`\u00e9`, surrogate pairs, `\/`), chosen at random.
    func render(using random: inout Xoshiro) -> [UInt8] {
        var output: [UInt8] = []
        write(into: &output, using: &random)
        return output
    }

    private func write(into output: inout [UInt8], using random: inout Xoshiro) {
        switch self {
        case .null: output += Array("null".utf8)
        case .bool(let flag): output += Array((flag ? "true" : "false").utf8)
        case .number(let literal): output += Array(literal.utf8)
        case .string(let text): Self.writeString(text, into: &output, using: &random)
        case .token(let bytes): output += bytes
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeSpace(into: &output, using: &random)
                element.write(into: &output, using: &random)
                Self.writeSpace(into: &output, using: &random)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (position, member) in members.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeSpace(into: &output, using: &random)
                Self.writeString(member.name, into: &output, using: &random)
                Self.writeSpace(into: &output, using: &random)
                output.append(UInt8(ascii: ":"))
                Self.writeSpace(into: &output, using: &random)
                member.value.write(into: &output, using: &random)
                Self.writeSpace(into: &output, using: &random)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func writeSpace(into output: inout [UInt8], using random: inout Xoshiro) {
        guard Int.random(in: 0..<4, using: &random) == 0 else { return }
        output += Array(["\n", " ", "\t", "\r\n  "].randomElement(using: &random)!.utf8)
    }

    private static func writeString(_ text: String, into output: inout [UInt8], using random: inout Xoshiro) {
        output.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            let escapeChoice = Int.random(in: 0..<8, using: &random)
            switch scalar {
            case "\"": output += Array(#"\""#.utf8)
            case "\\": output += Array(#"\\"#.utf8)
            case "/" where escapeChoice == 0: output += Array(#"\/"#.utf8)
            case "\n": output += Array(#"\n"#.utf8)
            case "\t": output += Array(#"\t"#.utf8)
            case "\r": output += Array(#"\r"#.utf8)
            case "\u{08}": output += Array(#"\b"#.utf8)
            case "\u{0C}": output += Array(#"\f"#.utf8)
            case _ where scalar.value < 0x20 || escapeChoice == 1:
                // \uXXXX, as a surrogate pair beyond the BMP, in either case of hex digit.
                let upper = Bool.random(using: &random)
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16, uppercase: upper)
                    output += Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                }
            default: output += Array(String(scalar).utf8)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension [JSONText.Member] {
    /// The value of the member named `path[0]`, descending into objects for the rest of the path.
    subscript(path path: [String]) -> JSONText? {
        get {
            guard let name = path.first, let member = self.first(where: { $0.name == name }) else { return nil }
            if path.count == 1 { return member.value }
            guard case .object(let members) = member.value else { return nil }
            return members[path: [String](path.dropFirst())]
        }
        set {
            guard let name = path.first else { return }
            let position = self.firstIndex(where: { $0.name == name })
            if path.count == 1 {
                switch (position, newValue) {
                case (let position?, let value?): self[position].value = value
                case (let position?, nil): self.remove(at: position)
                case (nil, let value?): self.append(JSONText.Member(name: name, value: value))
                case (nil, nil): break
                }
                return
            }
            guard let position, case .object(var members) = self[position].value else { return }
            members[path: [String](path.dropFirst())] = newValue
            self[position].value = .object(members)
        }
    }
}
