import Testing

@testable import DollrClient

@Suite("Exact JSON")
struct JSONTests {
    @Test func numbersKeepTheirLiteralText() throws {
        let value = try JSONParser.parse(#"{"amount": 100.50, "big": 12345678901234567890.123456789, "e": 1.5e2}"#)
        let object = try value.object(context: "root")
        #expect(object["amount"] == .number("100.50"))
        #expect(object["big"] == .number("12345678901234567890.123456789"))
        #expect(try object.decimalText("e") == "150")
        #expect(try object.optionalMoney(amount: "amount", currency: "missing") == nil)
        #expect(try object.optionalMoney(amount: "amount", currency: .usd) == Money.usd("100.50"))
    }

    @Test func parsesEscapesAndUnicode() throws {
        let value = try JSONParser.parse(#"["a\"b\\c\/\n\t", "\u00e9\ud83d\ude00", "ü"]"#)
        #expect(value == .array([.string("a\"b\\c/\n\t"), .string("é😀"), .string("ü")]))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":}", "01", "1.", "-", "\"\u{01}\"", "tru", "{\"a\" 1}", "[1] 2", "\"\\x\"",
        "\"\\ud800\"", "NaN", "1e", "{'a':1}",
    ])
    func refusesInvalidDocuments(text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(deep) }
        #expect(throws: Never.self) {
            try JSONParser.parse(String(repeating: "[", count: 10) + String(repeating: "]", count: 10))
        }
    }

    @Test func writerRoundTripsAndEscapes() throws {
        let object: JSONObject = [
            "amount": .number("100.50"), "text": .string("quote\" back\\ nl\n ctl\u{01} é"), "flag": .bool(true),
            "none": .null, "list": .array([.integer(1), .string("x")]),
        ]
        let text = JSONWriter.serialize(object)
        #expect(text.hasPrefix(#"{"amount":100.50,"text":"quote\" back\\ nl\n ctl\u0001 é""#))
        #expect(try JSONParser.parse(text) == .object(object))
    }

    @Test func duplicateKeysLastWins() throws {
        let object = try JSONParser.parse(#"{"a":1,"a":2}"#).object(context: "root")
        #expect(object["a"] == .number("2"))
    }
}
