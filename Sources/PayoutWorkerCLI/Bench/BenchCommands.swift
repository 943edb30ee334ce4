import Foundation
import Kafka

/// Compact, valid payout commands (an existing `payout_account_id`, so no recipient and no
/// account call), each with a fresh reference_id as key and in the value.
enum BenchCommands {
    static func records(count: Int, topic: String, amountMinor: Int64 = 100) -> (records: [KafkaProducerRecord], references: [String]) {
        var records: [KafkaProducerRecord] = []
        var references: [String] = []
        records.reserveCapacity(count)
        references.reserveCapacity(count)
        let amount = "\(amountMinor / 100).\(String(format: "%02d", amountMinor % 100))"
        for index in 0..<count {
            let reference = UUID().uuidString.lowercased()
            let value = #"{"reference_id":"\#(reference)","amount":"\#(amount)","currency":"USD","payout_account_id":\#(1 + index % 1000)}"#
            records.append(KafkaProducerRecord(topic: topic, key: reference, value: Array(value.utf8)))
            references.append(reference)
        }
        return (records, references)
    }
}
