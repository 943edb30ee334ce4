import ArgumentParser
import CommandSupport
import Foundation
import Kafka
import Logging
import PayoutEngine
import PayoutWorker

/// `payout-worker events`: the stored status events.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Works on the status events kept in the store.",
        subcommands: [EventsReplayCommand.self]
    )
}

/// `payout-worker events replay (--reference-id R | --since T) [--topic T]`.
struct EventsReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Publishes stored status events again, for a subscriber that lost its data.",
        discussion: """
            Each event goes out as the outbox relay sent it: the same value, key and CloudEvents headers, its \
            original ce_id included, so a subscriber that deduplicates on ce_id keeps one copy. A payout's \
            events go in sequence order (one key, one partition). Only the events retention kept are there: \
            each payout's latest always is. Exits 1 if the topic refuses any, saying how many.
            """
    )

    @Option(
        name: .customLong("reference-id"),
        help: ArgumentHelp("Every stored event of this payout.", valueName: "id")
    )
    var referenceID: String?

    @Option(help: ArgumentHelp("Every stored event that occurred at or after this RFC 3339 time.", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("The topic to publish to (default: kafka.status_topic).", valueName: "topic"))
    var topic: String?

    @OptionGroup var store: ConfiguredStoreOptions

    func validate() throws {
        guard (referenceID == nil) != (since == nil) else {
            throw ValidationError("give exactly one of --reference-id and --since")
        }
        if let since, PayoutsListCommand.milliseconds(rfc3339: since) == nil {
            throw ValidationError("--since \(since) is not an RFC 3339 time such as 2026-12-01T00:00:00Z")
        }
        if let referenceID { _ = try ReferenceID.argument(referenceID, "--reference-id") }
    }

    func run() async throws {
        let referenceID = try self.referenceID.map { text throws(ValidationError) in
            try ReferenceID.argument(text, "--reference-id").text
        }
        let since = self.since.flatMap(PayoutsListCommand.milliseconds(rfc3339:))
        let (sent, refused, topic) = try await self.store.withConfiguredStore { configuration, store in
            let topic = self.topic ?? configuration.kafka.statusTopic
            let producer = try self.store.producer(configuration, label: "payout-worker.replay")
            var sent = 0
            var refused = 0
            var cursor: EventCursor?
            // Page by page: each page is acknowledged before the next is sent, so a payout's events stay in order.
            while true {
                let page = try await store.eventsForReplay(
                    referenceID: referenceID,
                    since: since,
                    after: cursor,
                    limit: 500
                )
                guard let last = page.last else { break }
                cursor = EventCursor(after: last)
                let records = page.map { StatusEventRecord.record($0, topic: topic, source: configuration.eventSource) }
                for result in await producer.sendAll(records) {
                    if case .success = result { sent += 1 } else { refused += 1 }
                }
            }
            await producer.close()
            return (sent, refused, topic)
        }
        StandardOutput.writeLine("replayed \(sent) event(s) to \(topic)")
        if refused > 0 { throw CommandFailure("\(refused) event(s) refused by \(topic)") }
        if sent == 0 { StandardOutput.writeLine("no stored event matched") }
    }
}
