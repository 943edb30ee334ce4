import DollrClient
import Foundation
import Kafka

/// The commands the demo publishes: a realistic mix with every kind of trouble upstream causes.
struct DemoWorkload {
    enum Kind: String, CaseIterable { case payout, duplicate, conflict, rejected, garbage }

    struct Item {
        var kind: Kind
        var record: KafkaProducerRecord
        /// The reference_id the record carries, if any.
        var referenceID: String?
        var amount: Money?
    }

    var items: [Item] = []

    var uniquePayouts: [Item] { items.filter { $0.kind == .payout } }
    func count(_ kind: Kind) -> Int { items.filter { $0.kind == kind }.count }

    /// `total` records: ~88% payouts (85% USD, 15% LRD), ~8% identical duplicates (some far from their
    /// original), one conflicting duplicate, ~2% invalid but answerable, ~2% garbage.
    init(total: Int, topic: String, seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let garbage = max(1, total / 50), rejected = max(1, total / 50), duplicates = max(1, total * 8 / 100)
        let payouts = max(1, total - garbage - rejected - duplicates - 1)
        for index in 0..<payouts {
            let usd = random.next(upperBound: 100) < 85
            let currency: CurrencyCode = usd ? .usd : .lrd
            let minor = usd ? Int64(100 + random.next(upperBound: 19_900)) : Int64(10_000 + random.next(upperBound: 990_000))
            let amount = Money(minorUnits: minor, currency: currency)
            let reference = Self.uuid(&random)
            let phone = "2317\(String(format: "%08d", random.next(upperBound: 100_000_000)))"
            let value = Self.command(reference: reference, amount: amount.description, currency: currency.code, phone: phone, name: "Recipient \(index)")
            items.append(Item(kind: .payout, record: KafkaProducerRecord(topic: topic, key: reference, value: Array(value.utf8)), referenceID: reference, amount: amount))
        }
        let originals = items
        for _ in 0..<duplicates {
            var copy = originals[random.next(upperBound: originals.count)]
            copy.kind = .duplicate
            items.insert(copy, at: random.next(upperBound: items.count + 1))
        }
        // Same reference_id, different amount: must not touch the original.
        var conflict = originals[random.next(upperBound: originals.count)]
        let changed = String(decoding: conflict.record.value!, as: UTF8.self)
            .replacingOccurrences(of: "\"amount\":\"\(conflict.amount!.description)\"", with: "\"amount\":\"\(Money(minorUnits: conflict.amount!.minorUnits + 1, currency: conflict.amount!.currency).description)\"")
        conflict.kind = .conflict
        conflict.record.value = Array(changed.utf8)
        items.append(conflict)
        for _ in 0..<rejected {
            let reference = Self.uuid(&random)
            let value = Self.command(reference: reference, amount: "12.345", currency: "USD", phone: "231770000000", name: "Bad Amount")
            items.insert(Item(kind: .rejected, record: KafkaProducerRecord(topic: topic, key: reference, value: Array(value.utf8)), referenceID: reference),
                         at: random.next(upperBound: items.count + 1))
        }
        let junk = [#"{"amount":"10.00"}"#, "not json at all", #"[1,2,3]"#, #"{"reference_id":"not-a-uuid","amount":"1.00"}"#]
        for index in 0..<garbage {
            items.insert(Item(kind: .garbage, record: KafkaProducerRecord(topic: topic, key: nil, value: Array(junk[index % junk.count].utf8))),
                         at: random.next(upperBound: items.count + 1))
        }
    }

    static func command(reference: String, amount: String, currency: String, phone: String, name: String) -> String {
        #"{"reference_id":"\#(reference)","amount":"\#(amount)","currency":"\#(currency)","recipient":{"account_name":"\#(name)","party_id":42,"phone":"\#(phone)","provider":"MTN_MOMO_LBR","method":"MTN_MOMO_LBR","country_code":"LR"},"metadata":{"source":"demo"}}"#
    }

    static func uuid(_ random: inout SeededRandom) -> String {
        var bytes = (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next(upperBound: 256)) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }
}

/// SplitMix64: a small seeded generator, so a demo run can be repeated exactly.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(upperBound: Int) -> Int { Int(next() % UInt64(upperBound)) }
}
