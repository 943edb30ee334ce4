import ArgumentParser
import CommandSupport
import Foundation
import Kafka
import Logging
import PayoutEngine
import PayoutWorker

/// `payout-worker dead-letters`: the dead letters the dead-letter topic refused for good, which
/// intake kept in the store so their partitions could move on.
struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "Lists and re-sends the dead letters kept in the store.",
        subcommands: [DeadLettersListCommand.self, DeadLettersRetryCommand.self]
    )
}

/// `payout-worker dead-letters list`.
struct DeadLettersListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract:
            "Lists kept dead letters: reason, where each came from, when kept and sent, and why the topic refused it.",
        discussion: "Never prints a record's key or value. Prints `no dead letters kept` when there are none."
    )

    @Flag(help: "Only those not sent yet.")
    var unsent = false

    @Option(help: "At most this many, oldest first.")
    var limit = 1_000

    @OptionGroup var store: ConfiguredStoreOptions

    func run() async throws {
        let letters = try await self.store.withStore { store in
            try await store.keptDeadLetters(unsentOnly: unsent, limit: limit)
        }
        guard !letters.isEmpty else {
            StandardOutput.writeLine("no dead letters kept")
            return
        }
        var table = TextTable([
            ("ID", .right), ("REASON", .left), ("SOURCE", .left), ("KEPT", .left), ("SENT", .left),
            ("REFUSED WITH", .left),
        ])
        for letter in letters {
            table.append([
                String(letter.id), letter.reason,
                "\(letter.sourceTopic)[\(letter.sourcePartition)]@\(letter.sourceOffset)",
                PayoutsShowCommand.time(letter.keptAt), letter.sentAt.map(PayoutsShowCommand.time) ?? "-", letter.error,
            ])
        }
        for line in table.lines { StandardOutput.writeLine(line) }
    }
}

/// `payout-worker dead-letters retry`.
struct DeadLettersRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Sends the unsent kept dead letters to the dead-letter topic, with the headers intake gives them.",
        discussion: "Each one the topic acknowledges is marked sent. Exits 1 if any is refused again."
    )

    @OptionGroup var store: ConfiguredStoreOptions

    func run() async throws {
        let refused = try await self.store.withConfiguredStore { configuration, store -> Int in
            guard try await store.unsentDeadLetterCount() > 0 else {
                StandardOutput.writeLine("no dead letters to send")
                return 0
            }
            let producer = try self.store.producer(configuration, label: "payout-worker.dead-letters")
            let topic = configuration.kafka.deadLetterTopic
            let outcome: DeadLetterResend
            do {
                outcome = try await DeadLetters.resendKept(store: store, producer: producer, topic: topic)
            } catch {
                await producer.close()
                throw error
            }
            await producer.close()
            for id in outcome.sent { StandardOutput.writeLine("sent \(id) to \(topic)") }
            for (id, error) in outcome.refused { StandardOutput.writeLine("refused \(id): \(error)") }
            return outcome.refused.count
        }
        if refused > 0 { throw CommandFailure("\(refused) dead letter(s) refused again; they stay kept") }
    }
}
