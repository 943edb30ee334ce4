import ArgumentParser
import CivilTime
import CommandSupport
import Foundation
import PayoutEngine

/// `payout-worker audit`: the append-only log of resolutions.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Reads the audit log of resolutions of payouts under review.",
        subcommands: [AuditListCommand.self]
    )
}

/// `payout-worker audit list [--reference-id R]`.
struct AuditListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Lists audit records, oldest first: who resolved which payout, when, why, and what Dollr said then.",
        discussion:
            "A recheck that settled a payout by itself is listed too, by `engine`. Prints `no audit records` when there are none."
    )

    @Option(name: .customLong("reference-id"), help: ArgumentHelp("Only this payout's records.", valueName: "id"))
    var referenceID: String?

    @Option(help: "At most this many records (the latest).")
    var limit = 100

    @Flag(help: "One JSON array instead of a table.")
    var json = false

    @OptionGroup var store: ConfiguredStoreOptions

    func validate() throws {
        if let referenceID { _ = try ReferenceID.argument(referenceID, "--reference-id") }
    }

    func run() async throws {
        let referenceID = try self.referenceID.map { text throws(ValidationError) in
            try ReferenceID.argument(text, "--reference-id").text
        }
        let limit = self.limit
        let records = try await self.store.withStore { store in
            try await store.auditRecords(referenceID: referenceID, limit: limit)
        }
        if json {
            try StandardOutput.writeJSON(records.map(Row.init))
            return
        }
        guard !records.isEmpty else {
            StandardOutput.writeLine("no audit records")
            return
        }
        var table = TextTable([
            ("ID", .right), ("TIME", .left), ("REFERENCE_ID", .left), ("BY", .left), ("BEFORE", .left),
            ("AFTER", .left),
            ("DOLLR", .left), ("HOLD", .left), ("NOTE", .left),
        ])
        for record in records {
            table.append([
                String(record.id), Timestamp.rfc3339(milliseconds: record.recordedAt), record.referenceID,
                record.actor + (record.forced ? " (forced)" : ""), record.statusBefore.rawValue,
                record.statusAfter.rawValue,
                record.providerAnswer,
                record.ledger, record.note,
            ])
        }
        for line in table.lines { StandardOutput.writeLine(line) }
    }

    struct Row: Encodable {
        var id: Int64
        var recordedAt: String
        var referenceID: String
        var kind: String
        var actor: String
        var note: String
        var providerAnswer: String
        var statusBefore: String
        var statusAfter: String
        var ledger: String
        var forced: Bool

        init(_ record: ResolutionAudit) {
            id = record.id
            recordedAt = Timestamp.rfc3339(milliseconds: record.recordedAt)
            referenceID = record.referenceID
            kind = record.kind.rawValue
            actor = record.actor
            note = record.note
            providerAnswer = record.providerAnswer
            statusBefore = record.statusBefore.rawValue
            statusAfter = record.statusAfter.rawValue
            ledger = record.ledger
            forced = record.forced
        }

        enum CodingKeys: String, CodingKey {
            case id
            case recordedAt = "recorded_at"
            case referenceID = "reference_id"
            case kind, actor, note
            case providerAnswer = "provider_answer"
            case statusBefore = "status_before"
            case statusAfter = "status_after"
            case ledger, forced
        }
    }
}
