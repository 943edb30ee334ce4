import DollrClient
import Foundation
import PropertyBased
import TestSupport
import Testing

@testable import PayoutEngine

/// Generated records against the decoder. The oracle is the generation: a valid record carries the
/// command it must decode to, a broken one the rejection it must cause (``CommandMutation``).
@Suite("Command decoding: properties")
struct CommandDecoderPropertyTests {
    let decoder = CommandDecoder()

    @Test("valid records decode to exactly the generated command: amount, currency, recipient, metadata")
    func validRecords() {
        SeededProperty.check(CommandRecordCase.valid, count: 600, seed: 1) { record in
            guard case .command(let expected) = record.expectation else { return "not a valid case" }
            switch decoder.decode(key: record.key, value: record.value) {
            case .success(let command): return command == expected ? nil : "decoded \(command), expected \(expected)"
            case .failure(let rejection): return "refused: \(rejection)"
            }
        }
    }

    @Test(
        "every command the decoder accepts validates against contracts/payout-command.schema.json (python3-jsonschema)"
    )
    func acceptedCommandsMeetTheContract() async throws {
        var accepted: [String] = []
        var refusedByBoth = 0
        var refusedByDecoderOnly: [String] = []
        var broken: [String] = []
        SeededProperty.check(CommandRecordCase.valid, count: 300, seed: 11) { record in
            if case .success = decoder.decode(key: record.key, value: record.value) {
                accepted.append(String(decoding: record.value, as: UTF8.self))
            }
            return nil
        }
        SeededProperty.check(CommandRecordCase.byteMutated, count: 600, seed: 12) { record in
            let value = record.value
            guard let text = String(validating: value, as: UTF8.self),
                (try? JSONSerialization.jsonObject(with: Data(value))) != nil
            else { return nil }
            if case .success = decoder.decode(key: record.key, value: record.value) {
                accepted.append(text)
            } else {
                broken.append(text)
            }
            return nil
        }
        SeededProperty.check(CommandRecordCase.invalid(parts: 1...1), count: 600, seed: 13) { record in
            let value = record.value
            guard let text = String(validating: value, as: UTF8.self),
                (try? JSONSerialization.jsonObject(with: Data(value))) != nil
            else { return nil }
            if case .success = decoder.decode(key: record.key, value: record.value) {
                accepted.append(text)
            } else {
                broken.append(text)
            }
            return nil
        }
        #expect(accepted.count >= 300)
        for (command, problem) in zip(
            accepted,
            try await ContractValidator.problems(accepted, against: "payout-command.schema.json")
        ) {
            #expect(problem == nil, "accepted by the decoder, refused by the schema: \(command): \(problem ?? "")")
        }
        // The other way round the schema is laxer where JSON Schema cannot follow the decoder (its
        // description lists how); it still refuses most broken commands.
        for (command, problem) in zip(
            broken,
            try await ContractValidator.problems(broken, against: "payout-command.schema.json")
        ) {
            if problem == nil { refusedByDecoderOnly.append(command) } else { refusedByBoth += 1 }
        }
        #expect(
            refusedByBoth > refusedByDecoderOnly.count,
            "\(refusedByBoth) refused by both, \(refusedByDecoderOnly.count) by the decoder only"
        )
    }

    @Test("one broken part: refused with the precise field, keeping a usable reference_id, else dead-lettered")
    func singleMutations() {
        SeededProperty.check(CommandRecordCase.invalid(parts: 1...1), count: 2_000, seed: 2) { record in
            check(record, exact: true)
        }
    }

    @Test("several broken parts: refused for one of them")
    func multipleMutations() {
        SeededProperty.check(CommandRecordCase.invalid(parts: 2...4), count: 600, seed: 3) { record in
            check(record, exact: false)
        }
    }

    @Test("mutated bytes of valid records never crash, and whatever is accepted obeys every rule")
    func byteMutations() {
        var accepted = 0
        SeededProperty.check(CommandRecordCase.byteMutated, count: 2_000, seed: 4) { record in
            guard case .success(let command) = decoder.decode(key: record.key, value: record.value) else { return nil }
            accepted += 1
            let problems = CommandRules.violations(of: command, key: record.key)
            return problems.isEmpty ? nil : "accepted against the rules: \(problems)"
        }
        // Most mutations break the record; some (inside a name, a digit of an id) leave it valid.
        #expect(accepted < 2_000 / 2)
    }

    @Test("arbitrary bytes never crash and are never accepted")
    func arbitraryBytes() {
        let bytes = Generator<[UInt8], Shrink.None<[UInt8]>> { rng in
            let length = Int.random(in: 0...512, using: &rng)
            // Half raw bytes, half JSON punctuation and letters, which get further into the parser.
            let alphabet = Array(#"{}[]":,0123456789.-+eEtrufalsn\ "#.utf8) + [0x00, 0xFF, 0xC3, 0xA9]
            let raw = Bool.random(using: &rng)
            return (0..<length).map { _ in
                raw ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng)!
            }
        }
        SeededProperty.check(bytes, count: 2_000, seed: 5) { value in
            switch decoder.decode(key: nil, value: value) {
            case .success(let command): "accepted as \(command)"
            case .failure(let rejection): rejection.referenceID == nil ? nil : "named a reference_id: \(rejection)"
            }
        }
    }

    /// What is wrong with the decoder's answer to a broken record, or `nil`.
    private func check(_ record: CommandRecordCase, exact: Bool) -> String? {
        guard case .refused(let outcomes, let referenceID) = record.expectation else { return "not an invalid case" }
        let rejection: CommandRejection
        switch decoder.decode(key: record.key, value: record.value) {
        case .success(let command): return "accepted as \(command)"
        case .failure(let refused): rejection = refused
        }
        // The decoder reads the record, then reference_id, then the rest: the first failing step decides.
        if outcomes.contains(.unidentified(field: nil)) {
            return rejection.referenceID == nil && rejection.field == nil
                ? nil : "expected an unreadable record, got \(rejection)"
        }
        if outcomes.contains(.unidentified(field: "reference_id")) {
            return rejection.referenceID == nil && rejection.field == "reference_id"
                ? nil : "expected reference_id refused, got \(rejection)"
        }
        guard rejection.referenceID == referenceID else { return "reference_id not kept: \(rejection)" }
        let matching = outcomes.filter { outcome in
            switch outcome {
            case .field(let field): rejection.field == field
            case .record(let fragment): rejection.field == nil && rejection.message.contains(fragment)
            case .unidentified: false
            }
        }
        if matching.isEmpty || (exact && matching.count != outcomes.count) {
            return "expected \(outcomes), got field \(rejection.field ?? "nil"): \(rejection.message)"
        }
        return nil
    }
}
