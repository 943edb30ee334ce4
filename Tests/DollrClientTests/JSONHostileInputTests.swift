import Testing

@testable import DollrClient

/// Input built to hurt a recursive parser: deep nesting, huge documents, many members. The parser
/// recurses once per array or object, so the depth limit, checked before each descent, is what
/// stands between such input and a stack overflow (a crash of the whole worker).
@Suite("JSON parser: hostile input")
struct JSONHostileInputTests {
    /// The most a Dollr response body may hold (DollrTransport's limit).
    static let responseLimit = 1 << 20

    @Test(
        "deep nesting is refused at the limit, with the limit named, however deep the input goes",
        arguments: [
            String(repeating: "[", count: 100_000),
            String(repeating: #"{"a":"#, count: 200_000),
            String(repeating: "[{\"a\":", count: JSONHostileInputTests.responseLimit / 6),
        ]
    )
    func deepNesting(text: String) throws {
        let error = try #require(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
        #expect(error.reason == "arrays and objects nested deeper than 32 levels")
        #expect(error.offset <= 32 * 6)
    }

    @Test("exactly the maximum depth parses; one more level is refused")
    func depthBoundary() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        #expect(throws: Never.self) { try JSONParser.parse(Array(nested(16).utf8), maximumDepth: 16) }
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(Array(nested(17).utf8), maximumDepth: 16) }
        #expect(throws: Never.self) { try JSONParser.parse(nested(32)) }
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(nested(33)) }
    }

    @Test("a response-sized object of distinct members parses, in linear time")
    func manyMembers() throws {
        // ~95,000 members: with a quadratic insert this took minutes; now it is one pass.
        var text = "{"
        var count = 0
        while text.utf8.count < Self.responseLimit - 16 {
            if count > 0 { text += "," }
            text += "\"m\(count)\":\(count)"
            count += 1
        }
        text += "}"
        let object = try JSONParser.parse(text).object(context: "root")
        #expect(object.members.count == count)
        #expect(object["m\(count - 1)"] == .number("\(count - 1)"))
    }

    @Test("duplicate names: the last wins by default, and are refused on request with the offset of the repeat")
    func duplicateNames() throws {
        let text = #"{"amount":"1.00","currency":"USD","amount":"9999.00"}"#
        #expect(try JSONParser.parse(text).object(context: "root")["amount"] == .string("9999.00"))
        #expect(try JSONParser.parse(text).object(context: "root").keys == ["amount", "currency"])
        let error = try #require(throws: JSONParser.Error.self) {
            try JSONParser.parse(Array(text.utf8), duplicateNames: .refuse)
        }
        #expect(error == JSONParser.Error(offset: 34, reason: "duplicate member name"))
        #expect(throws: Never.self) {
            try JSONParser.parse(Array(#"{"a":{"a":1},"b":[{"a":1},{"a":2}]}"#.utf8), duplicateNames: .refuse)
        }
    }
}
