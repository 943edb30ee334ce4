import Foundation
import Kafka

/// Valid payout commands, each with a fresh reference_id as key and in the value. Compact ones name
/// a `payout_account_id` (intake only: the sandbox knows no such account); executable ones carry a
/// recipient, so the flow creates the account.
enum BenchCommands {
    static func records(
        count: Int,
        topic: String,
        executable: Bool = false,
        amountMinor: Int64 = 100
    ) -> (records: [KafkaProducerRecord], references: [String]) {
        var records: [KafkaProducerRecord] = []
        var references: [String] = []
        records.reserveCapacity(count)
        references.reserveCapacity(count)
        let amount = "\(amountMinor / 100).\(String(format: "%02d", amountMinor % 100))"
        for index in 0..<count {
            let reference = UUID().uuidString.lowercased()
            let target =
                executable
                ? #""recipient":{"account_name":"Bench \#(index)","party_id":42,"phone":"2317\#(String(format: "%08d", index % 100_000_000))","provider":"MTN_MOMO_LBR","method":"MTN_MOMO_LBR","country_code":"LR"}"#
                : #""payout_account_id":\#(1 + index % 1000)"#
            let value = #"{"reference_id":"\#(reference)","amount":"\#(amount)","currency":"USD",\#(target)}"#
            records.append(KafkaProducerRecord(topic: topic, key: reference, value: Array(value.utf8)))
            references.append(reference)
        }
        return (records, references)
    }
}
