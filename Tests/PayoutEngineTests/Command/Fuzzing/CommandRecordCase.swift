import DollrClient
import Foundation
import PayoutEngine
import PropertyBased

/// A generated record (key and value bytes) and what decoding it must give.
struct CommandRecordCase: Sendable, CustomStringConvertible {
    enum Expectation: Sendable {
        case command(PayoutCommand)
        /// Refused, for these reasons (one per mutation applied); `referenceID` is the one the
        /// record names, kept in the rejection unless a reason says it is unusable.
        case refused([CommandMutation.Outcome], referenceID: ReferenceID)
    }

    var key: [UInt8]?
    var value: [UInt8]
    var expectation: Expectation
    var labels: [String]

    var record: IntakeRecord { IntakeRecord(key: key, value: value) }

    var description: String {
        let key = self.key.map { String(decoding: $0, as: UTF8.self).debugDescription } ?? "nil"
        return
            "[\(labels.joined(separator: "; "))] key \(key) value \(String(decoding: value, as: UTF8.self).debugDescription)"
    }

    // MARK: Generators

    static let valid = Generator<CommandRecordCase, Shrink.None<CommandRecordCase>> { rng in
        var random = Xoshiro(seed: (rng.next(), rng.next(), rng.next(), rng.next()))
        let draft = CommandDraft.valid(using: &random)
        return CommandRecordCase(
            key: draft.key,
            value: draft.value(using: &random),
            expectation: .command(draft.command),
            labels: ["valid"]
        )
    }

    /// A valid record broken in `parts` (random distinct parts of the record, one mutation each).
    static func invalid(parts: ClosedRange<Int>) -> Generator<CommandRecordCase, Shrink.None<CommandRecordCase>> {
        Generator { rng in
            var random = Xoshiro(seed: (rng.next(), rng.next(), rng.next(), rng.next()))
            let draft = CommandDraft.valid(using: &random)
            let chosen = CommandMutation.Part.allCases.shuffled(using: &random).prefix(
                Int.random(in: parts, using: &random)
            )
            let mutations = chosen.map { CommandMutation.random($0, for: draft, using: &random) }
            let (key, value) = CommandMutation.apply(mutations, to: draft, using: &random)
            return CommandRecordCase(
                key: key,
                value: value,
                expectation: .refused(mutations.map(\.outcome), referenceID: draft.command.referenceID),
                labels: mutations.map(\.label)
            )
        }
    }

    /// A valid record with random bytes flipped, deleted, inserted or copied: usually refused, but
    /// a change inside a name or a digit can leave it valid.
    static let byteMutated = Generator<CommandRecordCase, Shrink.None<CommandRecordCase>> { rng in
        var random = Xoshiro(seed: (rng.next(), rng.next(), rng.next(), rng.next()))
        let draft = CommandDraft.valid(using: &random)
        var bytes = draft.value(using: &random)
        for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
            let position = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes.remove(at: position)
            case 2: bytes.insert(Array(#"{}[]",:0-9.eE\u "#.utf8).randomElement(using: &random)!, at: position)
            default:
                bytes.insert(
                    contentsOf: bytes[position..<min(bytes.count, position + Int.random(in: 1...12, using: &random))],
                    at: position
                )
            }
        }
        return CommandRecordCase(
            key: draft.key,
            value: bytes,
            expectation: .command(draft.command),
            labels: ["byte-mutated"]
        )
    }
}
