import Foundation
import Kafka
import Synchronization

/// What downstream sees: status events and dead letters, read with plain consumers, as a
/// subscriber would. Tracks the last status per reference_id and checks sequence order.
final class DemoObserver: Sendable {
    struct Snapshot {
        var lastStatus: [String: String] = [:]
        var lastSequence: [String: Int] = [:]
        var finals: [String: [String]] = [:]
        var events = 0
        var outOfOrder = 0
        var deadLetters = 0
        var deadLetterReasons: [String: Int] = [:]
        var missingHeaders = 0
    }

    static let finalStatuses: Set = ["COMPLETED", "FAILED", "REJECTED", "REQUIRES_REVIEW"]
    private let state = Mutex(Snapshot())

    var snapshot: Snapshot { state.withLock { $0 } }

    func observeStatus(_ message: KafkaMessage) {
        guard let value = message.value,
              let body = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any],
              let reference = body["reference_id"] as? String, let status = body["status"] as? String,
              let sequence = body["sequence"] as? Int
        else { return }
        let required = ["ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_subject", "content-type"]
        let headersOK = required.allSatisfy { message.headers.last(named: $0) != nil }
            && message.headers.last(named: "ce_id")?.stringValue == "\(reference):\(sequence)"
        state.withLock { snapshot in
            snapshot.events += 1
            if !headersOK { snapshot.missingHeaders += 1 }
            let previous = snapshot.lastSequence[reference] ?? -1
            if sequence < previous { snapshot.outOfOrder += 1 }
            // A re-emitted event (identical duplicate command) repeats the latest sequence: not a new final.
            if sequence > previous || previous == -1 {
                snapshot.lastSequence[reference] = sequence
                snapshot.lastStatus[reference] = status
                if Self.finalStatuses.contains(status) { snapshot.finals[reference, default: []].append(status) }
            }
        }
    }

    func observeDeadLetter(_ message: KafkaMessage) {
        let reason = message.headers.last(named: "dlq.reason")?.stringValue ?? "?"
        state.withLock {
            $0.deadLetters += 1
            $0.deadLetterReasons[reason, default: 0] += 1
        }
    }
}
