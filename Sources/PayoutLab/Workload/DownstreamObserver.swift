import Foundation
import Kafka
import Synchronization

/// What downstream sees: status events and dead letters, read with plain consumers, as a
/// subscriber would. Delivery is at least once (a relay killed between a send and its
/// bookkeeping sends again), so an event is identified by (reference_id, sequence) and counted
/// once; order is violated only when an event arrives that is older than one already seen.
final class DownstreamObserver: Sendable {
    struct Snapshot {
        /// Statuses of the distinct terminal events per reference_id (COMPLETED, FAILED, REJECTED),
        /// in order of arrival; REQUIRES_REVIEW while no terminal event has arrived (it needs an
        /// operator or a recheck, and one terminal event follows it).
        var finals: [String: [String]] = [:]
        /// Sequence of each reference_id's REQUIRES_REVIEW and terminal events.
        var reviewSequences: [String: Int] = [:]
        var terminalSequences: [String: Int] = [:]
        /// REQUIRES_REVIEW events that came after their payout's terminal event, by sequence.
        var reviewsAfterTerminal: Int {
            reviewSequences.filter { reference, review in terminalSequences[reference].map { review > $0 } ?? false }
                .count
        }
        /// Sequences seen per reference_id.
        var sequences: [String: Set<Int>] = [:]
        /// Status records on the topic, each counted once however often this reader saw it.
        var events = 0
        /// Records that repeat an event already on the topic: published again by a relay that
        /// restarted, or re-emitted for an identical duplicate command.
        var repeated = 0
        /// Records this reader itself received again (its consumer re-read them after a broker
        /// outage): not the worker's doing, so not counted as repeats.
        var reread = 0
        /// Partition and offset of every status record seen.
        var records: Set<String> = []
        var outOfOrder = 0
        /// Events that are not readable status events, or lack a CloudEvents header.
        var missingHeaders = 0
        var deadLetters = 0
        var deadLetterReasons: [String: Int] = [:]
        /// The reason of each distinct dead-lettered value (the original record's bytes, as text).
        var deadLetterValues: [String: String] = [:]

        /// References with a sequence number missing: an event was lost. An accepted payout's
        /// events start at 1 (ACCEPTED); a rejection is event 0.
        var gaps: Int {
            sequences.values.filter { seen in
                guard let newest = seen.max() else { return false }
                return seen.count != newest + (seen.contains(0) ? 1 : 0)
            }.count
        }
    }

    static let terminalStatuses: Set = ["COMPLETED", "FAILED", "REJECTED"]
    static let cloudEventHeaders = [
        "ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_subject", "content-type",
    ]
    private let state = Mutex(Snapshot())

    var snapshot: Snapshot { state.withLock { $0 } }

    func observeStatus(_ message: KafkaMessage) {
        guard let value = message.value,
            let body = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any],
            let reference = body["reference_id"] as? String, let status = body["status"] as? String,
            let sequence = body["sequence"] as? Int
        else {
            state.withLock { $0.missingHeaders += 1 }
            return
        }
        let headersOK =
            Self.cloudEventHeaders.allSatisfy { message.headers.last(named: $0) != nil }
            && message.headers.last(named: "ce_id")?.stringValue == "\(reference):\(sequence)"
        let position = "\(message.topicPartition.partition):\(message.offset)"
        state.withLock { snapshot in
            guard snapshot.records.insert(position).inserted else {
                snapshot.reread += 1
                return
            }
            snapshot.events += 1
            if !headersOK { snapshot.missingHeaders += 1 }
            var seen = snapshot.sequences[reference, default: []]
            guard seen.insert(sequence).inserted else {
                snapshot.repeated += 1
                return
            }
            if let newest = snapshot.sequences[reference]?.max(), sequence < newest { snapshot.outOfOrder += 1 }
            snapshot.sequences[reference] = seen
            if Self.terminalStatuses.contains(status) {
                snapshot.finals[reference, default: []].removeAll { $0 == "REQUIRES_REVIEW" }
                snapshot.finals[reference, default: []].append(status)
                snapshot.terminalSequences[reference] = sequence
            } else if status == "REQUIRES_REVIEW" {
                snapshot.reviewSequences[reference] = sequence
                if snapshot.finals[reference, default: []].isEmpty { snapshot.finals[reference] = [status] }
            }
        }
    }

    func observeDeadLetter(_ message: KafkaMessage) {
        let reason = message.headers.last(named: "dlq.reason")?.stringValue ?? "?"
        let value = message.value.map { String(decoding: $0, as: UTF8.self) } ?? ""
        state.withLock {
            $0.deadLetters += 1
            $0.deadLetterReasons[reason, default: 0] += 1
            $0.deadLetterValues[value] = reason
        }
    }
}
