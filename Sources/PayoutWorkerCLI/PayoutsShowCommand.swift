import ArgumentParser
import CivilTime
import CommandSupport
import DollrClient
import Foundation
import PayoutEngine

/// `payout-worker payouts show <reference_id>`.
///
/// Prints selected fields only. The stored `state` document may still hold the recipient's phone
/// number (until Dollr's payout account exists), so it is never printed as it is.
struct PayoutsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Shows a payout: status, reason, amount, hold and every status event.",
        discussion: """
            Exits 1 with `no payout with reference_id <id>` when the store knows nothing of it. A command \
            that was refused shows its REJECTED event only: no payout was recorded for it.
            """
    )

    @Argument(help: "The payout's reference_id.")
    var referenceID: String

    @OptionGroup var store: ConfiguredStoreOptions

    func validate() throws {
        _ = try ReferenceID.argument(referenceID, "reference_id")
    }

    func run() async throws {
        let referenceID = try ReferenceID.argument(self.referenceID, "reference_id").text
        let (payout, events, hold, audit) = try await self.store.withStore { store in
            (
                try await store.payout(referenceID: referenceID), try await store.events(referenceID: referenceID),
                try await store.hold(referenceID: referenceID),
                try await store.auditRecords(referenceID: referenceID, limit: 100)
            )
        }
        if let payout {
            for line in Self.lines(payout: payout, events: events, hold: hold) { StandardOutput.writeLine(line) }
            if !audit.isEmpty {
                // How a review ended: who, when, what Dollr said, and why.
                var table = TextTable([
                    ("TIME", .left), ("BY", .left), ("AFTER", .left), ("DOLLR", .left), ("HOLD", .left),
                    ("NOTE", .left),
                ])
                for record in audit {
                    table.append([
                        Self.time(record.recordedAt), record.actor + (record.forced ? " (forced)" : ""),
                        record.statusAfter.rawValue,
                        record.providerAnswer, record.ledger, record.note,
                    ])
                }
                for line in ["", "audit"] + table.lines { StandardOutput.writeLine(line) }
            }
        } else if let latest = events.last {
            // A refused command records its REJECTED event but no payout: the reference_id stays free.
            let lines = [
                "reference_id  \(referenceID)", "status        \(latest.status.rawValue) (no payout recorded)",
            ]
            for line in lines + ["", "events"] + Self.history(events).lines { StandardOutput.writeLine(line) }
        } else {
            throw CommandFailure("no payout with reference_id \(referenceID)")
        }
    }

    static func lines(payout: StoredPayout, events: [StoredEvent], hold: StoredHold?) -> [String] {
        let amount = { (minor: Int64) in WalletsListCommand.amount(minor, payout.currency) }
        var summary = TextTable([("FIELD", .left), ("VALUE", .left)])
        summary.append(["reference_id", payout.referenceID])
        summary.append(["status", payout.status.rawValue + (payout.isFinal ? " (final)" : "")])
        summary.append(["reason", Self.reason(payout) ?? "-"])
        summary.append(["amount", amount(payout.amountMinor)])
        summary.append(["currency", payout.currency])
        summary.append(["sequence", String(payout.sequence)])
        summary.append(["phase", Self.stateField("phase", of: payout) ?? "-"])
        if let hold {
            let settled = hold.settledMinor.map { ", debited \(amount($0))" } ?? ""
            summary.append(["hold", "\(hold.state.rawValue) \(amount(hold.amountMinor)) on \(hold.walletID)\(settled)"])
        } else {
            summary.append(["hold", "none"])
        }
        summary.append(["created", Self.time(payout.createdAt)])
        summary.append(["updated", Self.time(payout.updatedAt)])

        // The summary's header row is dropped: a two-column key/value list reads better without it.
        return Array(summary.lines.dropFirst()) + ["", "events"] + Self.history(events).lines
    }

    static func history(_ events: [StoredEvent]) -> TextTable {
        var history = TextTable([("SEQUENCE", .right), ("STATUS", .left), ("TIME", .left)])
        for event in events {
            history.append([String(event.sequence), event.status.rawValue, Self.time(event.occurredAt)])
        }
        return history
    }

    /// `CODE: message`. The message is the engine's, written never to contain a secret or phone number.
    private static func reason(_ payout: StoredPayout) -> String? {
        guard let code = payout.reasonCode else { return nil }
        guard case .object(let state)? = try? JSONParser.parse(payout.state),
            case .object(let reason)? = state["reason"], case .string(let message)? = reason["message"]
        else { return code }
        return "\(code): \(message)"
    }

    /// One top-level string member of the state document, picked by name.
    static func stateField(_ name: String, of payout: StoredPayout) -> String? {
        guard case .object(let state)? = try? JSONParser.parse(payout.state), case .string(let value)? = state[name]
        else { return nil }
        return value
    }

    /// Milliseconds since the epoch as RFC 3339 UTC with milliseconds, as events and logs print them.
    static func time(_ milliseconds: Int64) -> String {
        Timestamp.rfc3339(milliseconds: milliseconds)
    }
}
