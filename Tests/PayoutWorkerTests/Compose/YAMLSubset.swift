/// A reader for the YAML subset `docker-compose.yml` is written in: block mappings and block
/// sequences indented by spaces, plain and quoted scalars, flow sequences of scalars (`["a", "b"]`)
/// and literal block scalars (`|`). Anything else (anchors, aliases, tags, flow mappings, folded
/// scalars, sequences not indented under their key, tabs) is refused with its line number rather
/// than misread, so the compose test either reads the file as Docker does or fails loudly.
enum YAMLNode: Equatable {
    /// `plain` is false for quoted scalars: YAML 1.1 readers (Compose among them) turn plain
    /// `true`/`yes`/`on` into booleans, which Compose then refuses as environment values.
    case scalar(String, plain: Bool)
    case sequence([YAMLNode])
    case mapping([Entry])
    case null

    struct Entry: Equatable {
        var key: String
        var value: YAMLNode
    }

    subscript(key: String) -> YAMLNode? {
        guard case .mapping(let entries) = self else { return nil }
        return entries.first(where: { $0.key == key })?.value
    }

    var string: String? {
        guard case .scalar(let text, _) = self else { return nil }
        return text
    }

    var strings: [String]? {
        guard case .sequence(let items) = self else { return nil }
        let texts = items.compactMap(\.string)
        return texts.count == items.count ? texts : nil
    }

    var entries: [Entry] {
        guard case .mapping(let entries) = self else { return [] }
        return entries
    }
}

struct YAMLSubsetError: Error, CustomStringConvertible {
    var line: Int
    var reason: String
    var description: String { "line \(self.line): \(self.reason)" }
}

struct YAMLSubsetReader {
    private struct Line {
        var number: Int
        var indent: Int
        /// Without indentation, trailing comment and trailing spaces.
        var content: String
    }

    private let raw: [Substring]
    private var index = 0

    static func parse(_ text: String) throws(YAMLSubsetError) -> YAMLNode {
        var reader = YAMLSubsetReader(raw: text.split(separator: "\n", omittingEmptySubsequences: false))
        guard let first = try reader.peek() else { return .null }
        guard first.indent == 0 else { throw YAMLSubsetError(line: first.number, reason: "document must start at column 0") }
        let node = try reader.block(indent: 0)
        if let extra = try reader.peek() { throw YAMLSubsetError(line: extra.number, reason: "unexpected indentation") }
        return node
    }

    private init(raw: [Substring]) {
        self.raw = raw
    }

    // MARK: Blocks

    private mutating func block(indent: Int) throws(YAMLSubsetError) -> YAMLNode {
        guard let line = try self.peek() else { return .null }
        return line.content == "-" || line.content.hasPrefix("- ")
            ? try self.sequence(indent: indent) : try self.mapping(indent: indent)
    }

    private mutating func mapping(indent: Int) throws(YAMLSubsetError) -> YAMLNode {
        var entries: [YAMLNode.Entry] = []
        while let line = try self.peek(), line.indent >= indent {
            guard line.indent == indent else { throw YAMLSubsetError(line: line.number, reason: "unexpected indentation") }
            guard !line.content.hasPrefix("-") else {
                throw YAMLSubsetError(line: line.number, reason: "a sequence item where a mapping key was expected")
            }
            guard let colon = Self.keySeparator(in: line.content) else {
                throw YAMLSubsetError(line: line.number, reason: "expected 'key: value'")
            }
            let key = try Self.scalar(String(line.content[..<colon]), line: line.number)
            guard case .scalar(let name, _) = key else { throw YAMLSubsetError(line: line.number, reason: "key must be a scalar") }
            guard !entries.contains(where: { $0.key == name }) else {
                throw YAMLSubsetError(line: line.number, reason: "duplicate key '\(name)'")
            }
            let rest = line.content[line.content.index(after: colon)...].trimmingSpaces
            self.index = line.number  // past this line: numbers are 1-based
            let value: YAMLNode
            if rest.isEmpty {
                if let next = try self.peek(), next.indent > indent {
                    value = try self.block(indent: next.indent)
                } else {
                    value = .null
                }
            } else {
                value = try self.inline(rest, parentIndent: indent, line: line.number)
            }
            entries.append(YAMLNode.Entry(key: name, value: value))
        }
        return .mapping(entries)
    }

    private mutating func sequence(indent: Int) throws(YAMLSubsetError) -> YAMLNode {
        var items: [YAMLNode] = []
        while let line = try self.peek(), line.indent >= indent {
            guard line.indent == indent else { throw YAMLSubsetError(line: line.number, reason: "unexpected indentation") }
            guard line.content == "-" || line.content.hasPrefix("- ") else {
                throw YAMLSubsetError(line: line.number, reason: "a mapping key where a sequence item was expected")
            }
            let rest = line.content.dropFirst().trimmingSpaces
            self.index = line.number
            if rest.isEmpty {
                guard let next = try self.peek(), next.indent > indent else {
                    items.append(.null)
                    continue
                }
                items.append(try self.block(indent: next.indent))
            } else {
                guard Self.keySeparator(in: rest) == nil || rest.hasPrefix("\"") || rest.hasPrefix("'") else {
                    throw YAMLSubsetError(line: line.number, reason: "mappings inside sequence items are not in the subset")
                }
                items.append(try self.inline(rest, parentIndent: indent, line: line.number))
            }
        }
        return .sequence(items)
    }

    // MARK: Inline values

    private mutating func inline(_ text: String, parentIndent: Int, line: Int) throws(YAMLSubsetError) -> YAMLNode {
        if text == "|" || text == "|-" {
            return .scalar(self.literalBlock(parentIndent: parentIndent, strip: text == "|-"), plain: false)
        }
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else { throw YAMLSubsetError(line: line, reason: "unterminated flow sequence") }
            let body = text.dropFirst().dropLast().trimmingSpaces
            if body.isEmpty { return .sequence([]) }
            var items: [YAMLNode] = []
            for item in try Self.splitFlowItems(body, line: line) {
                items.append(try Self.scalar(item.trimmingSpaces, line: line))
            }
            return .sequence(items)
        }
        return try Self.scalar(text, line: line)
    }

    /// A literal block scalar: every following line indented deeper than its key, blank lines
    /// included, with the first line's indentation removed. `|` keeps one final newline, `|-` none.
    private mutating func literalBlock(parentIndent: Int, strip: Bool) -> String {
        var lines: [Substring] = []
        var blockIndent: Int?
        while self.index < self.raw.count {
            let line = self.raw[self.index]
            let indent = line.prefix(while: { $0 == " " }).count
            let isBlank = line.allSatisfy { $0 == " " }
            if !isBlank && indent <= parentIndent { break }
            if !isBlank && blockIndent == nil { blockIndent = indent }
            lines.append(isBlank ? "" : line.dropFirst(min(indent, blockIndent ?? indent)))
            self.index += 1
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        let text = lines.joined(separator: "\n")
        return strip ? text : text + "\n"
    }

    private static func scalar(_ text: String, line: Int) throws(YAMLSubsetError) -> YAMLNode {
        if text.hasPrefix("\"") {
            guard text.count >= 2, text.hasSuffix("\"") else { throw YAMLSubsetError(line: line, reason: "unterminated string") }
            var result = ""
            var escaping = false
            for character in text.dropFirst().dropLast() {
                if escaping {
                    switch character {
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    case "\"", "\\", "/": result.append(character)
                    default: throw YAMLSubsetError(line: line, reason: "escape '\\\(character)' is not in the subset")
                    }
                    escaping = false
                } else if character == "\\" {
                    escaping = true
                } else {
                    result.append(character)
                }
            }
            return .scalar(result, plain: false)
        }
        if text.hasPrefix("'") {
            guard text.count >= 2, text.hasSuffix("'") else { throw YAMLSubsetError(line: line, reason: "unterminated string") }
            return .scalar(String(text.dropFirst().dropLast()).replacing("''", with: "'"), plain: false)
        }
        if let first = text.first, "{&*!>%@`|".contains(first) {
            throw YAMLSubsetError(line: line, reason: "'\(first)' (flow mappings, anchors, aliases, tags, folded scalars) is not in the subset")
        }
        if text == "~" || text == "null" { return .null }
        return .scalar(text, plain: true)
    }

    // MARK: Lexing

    /// The next line that is neither blank nor only a comment; `nil` at the end.
    private mutating func peek() throws(YAMLSubsetError) -> Line? {
        while self.index < self.raw.count {
            let text = self.raw[self.index]
            let number = self.index + 1
            guard !text.contains("\t") else { throw YAMLSubsetError(line: number, reason: "tabs are not in the subset") }
            let indent = text.prefix(while: { $0 == " " }).count
            let content = Self.withoutComment(text.dropFirst(indent)).trimmingSpaces
            if content.isEmpty {
                self.index += 1
                continue
            }
            return Line(number: number, indent: indent, content: content)
        }
        return nil
    }

    /// Cuts a `#` comment that starts the text or follows a space, outside quotes.
    private static func withoutComment(_ text: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for position in text.indices {
            let character = text[position]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                if previous == " " || previous == "[" || previous == "," || previous == ":" { quote = character }
            } else if character == "#" && previous == " " {
                return text[..<position]
            }
            previous = character
        }
        return text
    }

    /// The `:` that ends a mapping key: followed by a space or the end, outside quotes.
    private static func keySeparator(in text: String) -> String.Index? {
        var quote: Character?
        for position in text.indices {
            let character = text[position]
            if let open = quote {
                if character == open { quote = nil }
            } else if position == text.startIndex && (character == "\"" || character == "'") {
                quote = character
            } else if character == ":" {
                let next = text.index(after: position)
                if next == text.endIndex || text[next] == " " { return position }
            }
        }
        return nil
    }

    private static func splitFlowItems(_ body: String, line: Int) throws(YAMLSubsetError) -> [String] {
        var items: [String] = []
        var current = ""
        var quote: Character?
        for character in body {
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
                current.append(character)
            } else if character == "," {
                items.append(current)
                current = ""
            } else if character == "[" || character == "{" {
                throw YAMLSubsetError(line: line, reason: "nested flow collections are not in the subset")
            } else {
                current.append(character)
            }
        }
        guard quote == nil else { throw YAMLSubsetError(line: line, reason: "unterminated string") }
        items.append(current)
        return items
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
