import DollrClient
import Foundation
import TestSupport
import Testing

@testable import PayoutEngine

@Suite("Command decoding")
struct CommandDecoderTests {
    let decoder = CommandDecoder()
    static let reference = "3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90"

    static func json(_ overrides: [String: String] = [:], drop: Set<String> = []) -> [UInt8] {
        var fields: [String: String] = [
            "reference_id": "\"\(reference)\"", "amount": "\"100.00\"", "currency": "\"USD\"",
            "recipient":
                #"{"account_name":"Ada Lovelace","party_id":42,"phone":"231771234567","provider":"MTN_MOMO_LBR","method":"MTN_MOMO_LBR","country_code":"LR"}"#,
        ]
        fields.merge(overrides) { $1 }
        let body = fields.filter { !drop.contains($0.key) }.sorted { $0.key < $1.key }.map {
            "\"\($0.key)\":\($0.value)"
        }.joined(separator: ",")
        return Array("{\(body)}".utf8)
    }

    func rejectionOf(_ value: [UInt8], key: [UInt8]? = nil) -> CommandRejection? {
        if case .failure(let rejection) = decoder.decode(key: key, value: value) { return rejection }
        return nil
    }

    @Test("a valid command decodes with exact amounts and a masked phone")
    func validCommand() throws {
        let command = try decoder.decode(
            key: Array(Self.reference.utf8),
            value: Self.json(["metadata": #"{"order":"A-1"}"#])
        ).get()
        #expect(command.referenceKey == Self.reference)
        #expect(command.amount == Money(minorUnits: 10_000, currency: .usd))
        #expect(command.metadata == ["order": "A-1"])
        guard case .newAccount(let details) = command.recipient else {
            Issue.record("expected a new recipient")
            return
        }
        #expect(details.phone.revealed == "231771234567")
        #expect(!"\(command)".contains("231771234567"), "describing a command never shows the phone")
    }

    @Test(
        "amounts are read from their literal text",
        arguments: [
            ("\"0.01\"", 1), ("0.10", 10), ("100", 10_000), ("\"100.500\"", 10_050), ("9999.99", 999_999), ("0.3", 30),
        ] as [(String, Int64)]
    )
    func exactAmounts(literal: String, minor: Int64) throws {
        let command = try decoder.decode(key: nil, value: Self.json(["amount": literal])).get()
        #expect(command.amount.minorUnits == minor)
    }

    @Test("a rejection never repeats a metadata key: upstream may put anything there, a phone number too")
    func metadataKeysAreNotEchoed() throws {
        let rejection = try #require(rejectionOf(Self.json(["metadata": #"{"231779990001":1}"#])))
        #expect(rejection.field == "metadata" && !rejection.description.contains("231779990001"), "\(rejection)")
    }

    @Test(
        "each invalid field is rejected with its name, keeping the reference_id",
        arguments: [
            (["amount": "\"-5.00\""], "amount"), (["amount": "0"], "amount"), (["amount": "\"1.001\""], "amount"),
            (["amount": "1e3"], "amount"), (["amount": "\"10000.01\""], "amount"), (["amount": "true"], "amount"),
            (["currency": "\"usd\""], "currency"), (["currency": "\"EUR\""], "currency"),
            (["currency": "5"], "currency"),
            (
                [
                    "recipient":
                        #"{"account_name":"A","party_id":42,"phone":"+231","provider":"MTN_MOMO_LBR","method":"MTN_MOMO_LBR"}"#
                ], "recipient.phone"
            ),
            (
                [
                    "recipient":
                        #"{"account_name":"A","party_id":-1,"phone":"231771234567","provider":"MTN_MOMO_LBR","method":"MTN_MOMO_LBR"}"#
                ], "recipient.party_id"
            ),
            (
                [
                    "recipient":
                        #"{"account_name":"A","party_id":1,"phone":"231771234567","provider":"ACME","method":"MTN_MOMO_LBR"}"#
                ], "recipient.provider"
            ),
            (
                [
                    "recipient":
                        #"{"account_name":"\u0007","party_id":1,"phone":"231771234567","provider":"STRIPE","method":"WALLET"}"#
                ], "recipient.account_name"
            ),
            (["requested_at": "\"yesterday\""], "requested_at"), (["metadata": #"{"n":1}"#], "metadata"),
            (
                [
                    "recipient":
                        #"{"account_name":"Ada\u202Eevil","party_id":1,"phone":"231771234567","provider":"STRIPE","method":"WALLET"}"#
                ], "recipient.account_name"
            ),
            (["payout_account_id": "-3"], nil),
        ] as [([String: String], String?)]
    )
    func fieldRejections(overrides: [String: String], field: String?) throws {
        let value =
            overrides["payout_account_id"] != nil ? Self.json(overrides, drop: ["recipient"]) : Self.json(overrides)
        let rejection = try #require(rejectionOf(value))
        #expect(rejection.referenceID?.text == Self.reference)
        #expect(rejection.field == (field ?? "payout_account_id"))
    }

    @Test("exactly one of payout_account_id and recipient")
    func recipientExclusivity() throws {
        #expect(try #require(rejectionOf(Self.json(["payout_account_id": "7"]))).message.contains("mutually exclusive"))
        #expect(try #require(rejectionOf(Self.json(drop: ["recipient"]))).message.contains("one of"))
        let byAccount = try decoder.decode(key: nil, value: Self.json(["payout_account_id": "7"], drop: ["recipient"]))
            .get()
        #expect(byAccount.recipient == .existingAccount(id: 7))
    }

    @Test(
        "records without a usable reference_id cannot be answered, only dead-lettered",
        arguments: [
            Array("not json".utf8), [0xFF, 0xFE, 0x00], Array("[1,2]".utf8), Array("{}".utf8),
            Array(#"{"reference_id":"not-a-uuid"}"#.utf8),
            Array(#"{"reference_id":"3f2b8c1e-8d4a-1c6e-9b1a-2f7d5e6c8a90"}"#.utf8),
            Array(String(repeating: "[", count: 40).utf8), Array(repeating: UInt8(ascii: " "), count: 70_000),
        ]
    )
    func unanswerable(value: [UInt8]) throws {
        let rejection = try #require(rejectionOf(value))
        #expect(rejection.referenceID == nil)
    }

    @Test("a key that differs from the reference_id is refused")
    func lyingKey() throws {
        let rejection = try #require(rejectionOf(Self.json(), key: Array("someone-else".utf8)))
        #expect(rejection.message.contains("key"))
        #expect(rejection.referenceID != nil)
    }

    @Test("unknown fields are ignored")
    func unknownFields() throws {
        _ = try decoder.decode(key: nil, value: Self.json(["future_field": #"{"x":[1,2,3]}"#])).get()
    }

    @Test("arbitrary bytes never crash and never decode into a payout by accident")
    func fuzz() {
        // Seeded, so a failure reproduces (PROPERTY_SEED explores other inputs).
        var generator = SeededProperty.random(seed: SeededProperty.seed(9), case: 0)
        let seeds: [[UInt8]] = [
            Self.json(), Array(#"{"reference_id":"3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90","amount":1}"#.utf8),
        ]
        var decoded = 0
        for round in 0..<3_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + round % 6) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch round % 3 {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8.random(in: 32...126, using: &generator), at: index)
                }
                if bytes.isEmpty { break }
            }
            if case .success(let command) = decoder.decode(key: nil, value: bytes) {
                decoded += 1
                #expect(command.amount.minorUnits > 0)
            }
        }
        #expect(decoded < 3_000)
    }
}
