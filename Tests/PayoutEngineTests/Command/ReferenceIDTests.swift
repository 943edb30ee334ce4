import Foundation
import Testing

@testable import PayoutEngine

@Suite("ReferenceID")
struct ReferenceIDTests {
    @Test("its text is the lower-case UUID text the stores hold, whatever case it was read in")
    func canonicalText() throws {
        let uuid = try #require(UUID(uuidString: "3F2B8C1E-8D4A-4C6E-9B1A-2F7D5E6C8A90"))
        let upper = try ReferenceID(parsing: "3F2B8C1E-8D4A-4C6E-9B1A-2F7D5E6C8A90")
        let lower = try ReferenceID(parsing: "3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90")
        #expect(upper == lower && upper.uuid == uuid)
        #expect(upper.text == "3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90" && "\(upper)" == upper.text)
        #expect(ReferenceID(uuid).text == uuid.uuidString.lowercased())
    }

    @Test(
        "anything but 8-4-4-4-12 hexadecimal digits is refused, naming the text",
        arguments: [
            "", "t-1", " 3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90", "3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a9",
            " a805636b-d80e-4f3f-8d15-673bbd7e670", "{3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90}",
            "3f2b8c1e8d4a4c6e9b1a2f7d5e6c8a90", "3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a9g",
            "3f2b8c1e+8d4a-4c6e-9b1a-2f7d5e6c8a90",
        ]
    )
    func refused(text: String) {
        #expect(throws: ReferenceIDError(text: text)) { try ReferenceID(parsing: text) }
        #expect(ReferenceIDError(text: text).description.contains("'\(text)' is not a reference_id"))
    }

    @Test("orders as its stored text does, byte by byte")
    func order() throws {
        let texts = [
            "ffffffff-0000-4000-8000-000000000000", "0b9a3c1e-0000-4000-8000-000000000000",
            "a0000000-0000-4000-8000-000000000000", "0b9a3c1e-0000-4000-8000-00000000000a",
        ]
        let ids = try texts.map { text throws(ReferenceIDError) in try ReferenceID(parsing: text) }
        #expect(ids.sorted().map(\.text) == texts.sorted())
    }

    @Test("a state document keeps it as its text")
    func codable() throws {
        let id = try ReferenceID(parsing: "3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90")
        let encoded = String(decoding: try JSONEncoder().encode([id]), as: UTF8.self)
        #expect(encoded == #"["3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"]"#)
        #expect(try JSONDecoder().decode([ReferenceID].self, from: Data(encoded.utf8)) == [id])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ReferenceID].self, from: Data(#"["t-1"]"#.utf8))
        }
    }
}
