import DollrClient
import Foundation
import Testing

@testable import PayoutEngine

/// Records built to exhaust the decoder: deep, huge, wide. Each must be refused (or accepted)
/// precisely, without crashing the process or taking more than one pass.
@Suite("Command decoding: deep and huge records")
struct OversizedRecordTests {
    let decoder = CommandDecoder()
    static let reference = "3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"
    static let limit = CommandPolicy().maximumRecordBytes

    /// A valid command with `extra` inserted as the value of an unknown member, padded with
    /// blanks to exactly `size` bytes when given.
    static func command(extra: String = "null", size: Int? = nil) -> [UInt8] {
        let body =
            #"{"reference_id":"\#(reference)","amount":"12.34","currency":"USD","payout_account_id":42,"x_extra":\#(extra)"#
        let padding = size.map { $0 - body.utf8.count - 1 } ?? 0
        return Array((body + String(repeating: " ", count: max(0, padding)) + "}").utf8)
    }

    func rejection(_ value: [UInt8]) throws -> CommandRejection {
        guard case .failure(let rejection) = decoder.decode(key: nil, value: value) else {
            throw DecodedUnexpectedly()
        }
        return rejection
    }

    struct DecodedUnexpectedly: Error {}

    @Test(
        "64 KiB of nesting is dead-lettered at depth 16, with the depth named",
        arguments: [
            String(repeating: "[", count: OversizedRecordTests.limit),
            String(repeating: #"{"a":"#, count: OversizedRecordTests.limit / 5),
            String(repeating: "[", count: 100_000),
        ]
    )
    func deepNesting(text: String) throws {
        let value = Array(text.utf8)
        let rejection = try rejection(value)
        #expect(rejection.referenceID == nil)
        if value.count <= Self.limit {
            #expect(rejection.message.contains("nested deeper than 16 levels"))
        } else {
            #expect(rejection.message.contains("exceeds the \(Self.limit)-byte limit"))
        }
    }

    @Test("nesting inside a valid command: 16 levels are read, 17 are refused")
    func nestingInsideCommand() throws {
        // The command object is the first level; the unknown member adds the rest.
        let fifteen = String(repeating: "[", count: 15) + String(repeating: "]", count: 15)
        #expect(throws: Never.self) { try decoder.decode(key: nil, value: Self.command(extra: fifteen)).get() }
        let sixteen = "[" + fifteen + "]"
        let rejection = try rejection(Self.command(extra: sixteen))
        #expect(rejection.referenceID == nil)
        #expect(rejection.message.contains("nested deeper than 16 levels"))
    }

    @Test("a record of exactly the limit is read; one byte more is refused before parsing")
    func sizeLimit() throws {
        let atLimit = Self.command(size: Self.limit)
        #expect(atLimit.count == Self.limit)
        let command = try decoder.decode(key: nil, value: atLimit).get()
        #expect(command.amount == Money(minorUnits: 1234, currency: .usd))

        let overLimit = Self.command(size: Self.limit + 1)
        #expect(overLimit.count == Self.limit + 1)
        let rejection = try rejection(overLimit)
        #expect(rejection.referenceID == nil)
        #expect(rejection.message == "record of \(Self.limit + 1) bytes exceeds the \(Self.limit)-byte limit")
    }

    @Test("a 10 MB record is refused by its size alone")
    func tenMegabytes() throws {
        let huge = Self.command(extra: "\"" + String(repeating: "x", count: 10_000_000) + "\"")
        let rejection = try rejection(huge)
        #expect(rejection.referenceID == nil)
        #expect(rejection.message.hasPrefix("record of \(huge.count) bytes exceeds"))
    }

    @Test("64 KiB of distinct unknown members is read in one pass")
    func manyMembers() throws {
        var members = ""
        var index = 0
        while members.utf8.count < Self.limit - 200 {
            members += "\"x\(index)\":0,"
            index += 1
        }
        let value = Array(
            #"{\#(members)"reference_id":"\#(Self.reference)","amount":1,"currency":"LRD","payout_account_id":1}"#.utf8
        )
        #expect(value.count <= Self.limit)
        #expect(try decoder.decode(key: nil, value: value).get().amount == Money(minorUnits: 100, currency: .lrd))
    }

    @Test("a member named twice makes the record unreadable: neither value can be trusted")
    func duplicateMember() throws {
        let value = Array(
            #"{"reference_id":"\#(Self.reference)","amount":"1.00","currency":"USD","payout_account_id":1,"amount":"9000.00"}"#
                .utf8
        )
        let rejection = try rejection(value)
        #expect(rejection.referenceID == nil)
        #expect(rejection.message.contains("duplicate member name"))
        #expect(!rejection.message.contains("9000"))
    }
}
