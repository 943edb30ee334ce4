import DollrClient
import DollrSandbox
import Foundation
import Kafka

/// The commands a demo or chaos run publishes: a realistic mix with every kind of trouble
/// upstream causes. Same seed, same records.
struct CommandWorkload {
    enum Kind: String, CaseIterable { case payout, duplicate, conflict, rejected, garbage }

    /// When a record is published: with the bulk, or seconds later (a duplicate replayed by an
    /// upstream retry, a conflicting command sent after its original).
    enum Wave { case main, delayed }

    /// What a valid payout command asks Dollr to pay.
    struct Payout {
        var referenceID: String
        var amount: Money
    }

    /// What a record names.
    enum Subject {
        /// A payout command's payout; a duplicate's and a conflicting copy's are their original's.
        case payout(Payout)
        /// An invalid command that still carries a reference_id, so it can be answered REJECTED.
        case invalid(referenceID: String)
        /// Nothing readable: only a dead letter can answer it.
        case unreadable
    }

    struct Item {
        var kind: Kind
        var record: KafkaProducerRecord
        var subject: Subject
        var wave = Wave.main

        var payout: Payout? {
            if case .payout(let payout) = subject { payout } else { nil }
        }

        /// The reference_id the record carries, if any.
        var referenceID: String? {
            switch subject {
            case .payout(let payout): payout.referenceID
            case .invalid(let referenceID): referenceID
            case .unreadable: nil
            }
        }

        /// The record's value as text, which is how a dead letter is matched to its record.
        var text: String { String(decoding: record.value ?? [], as: UTF8.self) }
    }

    /// Shares of each kind, in per mille of the total (at least one of each).
    struct Mix {
        var duplicates: Int
        var conflicts: Int
        var rejected: Int
        var garbage: Int
        /// Per cent of duplicates published in the delayed wave.
        var delayedDuplicates = 0
        /// Per cent of duplicates published without a key, so they land on any partition and
        /// race their original through another consumer.
        var keylessDuplicates = 0

        /// ~8% identical duplicates, one conflicting duplicate, ~2% invalid but answerable, ~2% garbage.
        static let demo = Mix(duplicates: 80, conflicts: 0, rejected: 20, garbage: 20)
        /// 10% identical duplicates (some delayed, some keyless), 1% conflicting, 1% invalid.
        static let chaos = Mix(
            duplicates: 100,
            conflicts: 10,
            rejected: 5,
            garbage: 5,
            delayedDuplicates: 30,
            keylessDuplicates: 30
        )
    }

    var items: [Item] = []

    /// Each payout command once, duplicates and conflicting copies left out.
    var uniquePayouts: [Payout] { items.compactMap { $0.kind == .payout ? $0.payout : nil } }
    /// The reference_id of each invalid command that carries one.
    var rejectedReferences: [String] { items.compactMap { $0.kind == .rejected ? $0.referenceID : nil } }
    /// Each conflicting copy: the original payout it conflicts with, and its own record's text.
    var conflicts: [(original: Payout, text: String)] {
        items.compactMap { item in item.kind == .conflict ? item.payout.map { ($0, item.text) } : nil }
    }
    /// The text of each unreadable record.
    var unreadableTexts: [String] { items.filter { $0.kind == .garbage }.map(\.text) }
    func count(_ kind: Kind) -> Int { items.filter { $0.kind == kind }.count }

    /// `total` records; payouts are 85% USD, 15% LRD.
    init(total: Int, topic: String, seed: UInt64, mix: Mix = .demo) {
        var random = SplitMix64(seed: seed)
        let share = { (perMille: Int) in max(1, total * perMille / 1000) }
        let garbage = share(mix.garbage)
        let rejected = share(mix.rejected)
        let duplicates = share(mix.duplicates)
        let conflicts = share(mix.conflicts)
        let payouts = max(conflicts, total - garbage - rejected - duplicates - conflicts)
        var originalCommands: [(payout: Payout, value: String)] = []
        for index in 0..<payouts {
            let usd = random.next(below: 100) < 85
            let currency: CurrencyCode = usd ? .usd : .lrd
            let minor =
                usd ? Int64(100 + random.next(below: 19_900)) : Int64(10_000 + random.next(below: 990_000))
            let amount = Money(minorUnits: minor, currency: currency)
            let reference = Self.uuid(&random)
            let phone = "2317\(String(format: "%08d", random.next(below: 100_000_000)))"
            let value = Self.command(
                reference: reference,
                amount: amount.description,
                currency: currency.code,
                phone: phone,
                name: "Recipient \(index)"
            )
            let payout = Payout(referenceID: reference, amount: amount)
            items.append(
                Item(
                    kind: .payout,
                    record: KafkaProducerRecord(topic: topic, key: reference, value: Array(value.utf8)),
                    subject: .payout(payout)
                )
            )
            originalCommands.append((payout, value))
        }
        let originals = items
        for _ in 0..<duplicates {
            var copy = originals[random.next(below: originals.count)]
            copy.kind = .duplicate
            if random.chance(percent: mix.keylessDuplicates) { copy.record.key = nil }
            if random.chance(percent: mix.delayedDuplicates) { copy.wave = .delayed }
            items.insert(copy, at: random.next(below: items.count + 1))
        }
        // Same reference_id (and key, so the same partition, after its original), different
        // amount: must not touch the original. Each conflict picks a different original.
        var pool = Array(originals.indices)
        for _ in 0..<conflicts {
            let index = pool.remove(at: random.next(below: pool.count))
            var conflict = originals[index]
            let (original, value) = originalCommands[index]
            let amount = original.amount
            let changed = value.replacingOccurrences(
                of: "\"amount\":\"\(amount.description)\"",
                with:
                    "\"amount\":\"\(Money(minorUnits: amount.minorUnits + 1, currency: amount.currency).description)\""
            )
            conflict.kind = .conflict
            conflict.record.value = Array(changed.utf8)
            conflict.wave = .delayed
            items.append(conflict)
        }
        for _ in 0..<rejected {
            let reference = Self.uuid(&random)
            let value = Self.command(
                reference: reference,
                amount: "12.345",
                currency: "USD",
                phone: "231770000000",
                name: "Bad Amount"
            )
            items.insert(
                Item(
                    kind: .rejected,
                    record: KafkaProducerRecord(topic: topic, key: reference, value: Array(value.utf8)),
                    subject: .invalid(referenceID: reference)
                ),
                at: random.next(below: items.count + 1)
            )
        }
        // Unanswerable records, each unique so that its dead letter can be found again.
        for index in 0..<garbage {
            let junk = [
                #"{"amount":"10.00","n":\#(index)}"#, "not json at all \(index)", "[1,2,\(index)]",
                #"{"reference_id":"not-a-uuid-\#(index)","amount":"1.00"}"#,
            ]
            items.insert(
                Item(
                    kind: .garbage,
                    record: KafkaProducerRecord(topic: topic, key: nil, value: Array(junk[index % junk.count].utf8)),
                    subject: .unreadable
                ),
                at: random.next(below: items.count + 1)
            )
        }
    }

    static func command(reference: String, amount: String, currency: String, phone: String, name: String) -> String {
        #"{"reference_id":"\#(reference)","amount":"\#(amount)","currency":"\#(currency)","recipient":{"account_name":"\#(name)","party_id":42,"phone":"\#(phone)","provider":"MTN_MOMO_LBR","method":"MTN_MOMO_LBR","country_code":"LR"},"metadata":{"source":"demo"}}"#
    }

    static func uuid(_ random: inout SplitMix64) -> String {
        var bytes = (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next(below: 256)) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [
            hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4),
            hex.dropFirst(20),
        ]
        return parts.joined(separator: "-")
    }

    /// Wallet balances that cover about nine payouts in ten of each currency (amount plus about
    /// 1% fees): the rest must fail with INSUFFICIENT_FUNDS before they ever reach Dollr.
    var walletsTooSmallForAll: [(currency: CurrencyCode, balanceMinor: Int64)] {
        var need: [CurrencyCode: Int64] = [:]
        for payout in uniquePayouts {
            need[payout.amount.currency, default: 0] += payout.amount.minorUnits * 101 / 100
        }
        return need.sorted { $0.key < $1.key }.map { ($0.key, $0.value * 9 / 10) }
    }
}
