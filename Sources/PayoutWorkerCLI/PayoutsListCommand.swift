import ArgumentParser
import CivilTime
import CommandSupport
import Foundation
import PayoutEngine
import PayoutWorker

/// `payout-worker payouts list`: the review queue first, then the newest payouts.
struct PayoutsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Lists payouts, those waiting in REQUIRES_REVIEW first (longest waiting first), then the newest.",
        discussion: """
            WAITING is how long a payout has been in its latest status; for the review queue, how long it \
            has waited for a decision. HELD is the wallet hold still pending. DOLLR is Dollr's latest answer \
            about the payout. Resolve one with `payout-worker payouts resolve`.
            """
    )

    @Option(
        help: ArgumentHelp(
            "Only payouts in this status (ACCEPTED, PENDING, PROCESSING, REQUIRES_REVIEW, COMPLETED, FAILED).",
            valueName: "status"
        )
    )
    var status: String?

    @Option(
        help: ArgumentHelp(
            "Only payouts created at or after this RFC 3339 time (2026-12-01T00:00:00Z).",
            valueName: "time"
        )
    )
    var since: String?

    @Option(help: "At most this many payouts.")
    var limit = 50

    @Flag(help: "One JSON array instead of a table.")
    var json = false

    @OptionGroup var store: ConfiguredStoreOptions

    /// The `--status` asked for: any status a payout can be in, in any case (REJECTED is a refused
    /// command's answer, never a payout's).
    private var listedStatus: PayoutStatus? {
        status.flatMap { PayoutStatus(rawValue: $0.uppercased()) }.flatMap { $0 == .rejected ? nil : $0 }
    }

    func validate() throws {
        if let status, listedStatus == nil {
            throw ValidationError(
                "--status \(status) is no payout status; use one of ACCEPTED, PENDING, PROCESSING, REQUIRES_REVIEW, COMPLETED, FAILED"
            )
        }
        if let since, Self.milliseconds(rfc3339: since) == nil {
            throw ValidationError("--since \(since) is not an RFC 3339 time such as 2026-12-01T00:00:00Z")
        }
        guard (1...10_000).contains(limit) else {
            throw ValidationError("--limit must be between 1 and 10000, got \(limit)")
        }
    }

    func run() async throws {
        let status = listedStatus
        let since = self.since.flatMap(Self.milliseconds(rfc3339:))
        let limit = self.limit
        let listings = try await self.store.withStore { store in
            try await store.listPayouts(status: status, since: since, limit: limit)
        }
        let now = StoreClock.system.now()
        let rows = listings.map { Row($0, now: now) }
        if json {
            try StandardOutput.writeJSON(rows)
            return
        }
        guard !rows.isEmpty else {
            StandardOutput.writeLine("no payouts")
            return
        }
        var table = TextTable([
            ("REFERENCE_ID", .left), ("STATUS", .left), ("WAITING", .right), ("AMOUNT", .right), ("HELD", .right),
            ("DOLLR", .left), ("CREATED", .left),
        ])
        for row in rows {
            table.append([
                row.referenceID, row.status, Self.age(row.waitingSeconds), "\(row.amount) \(row.currency)",
                row.held.map { "\($0) \(row.currency)" } ?? "-", row.providerStatus ?? "-", row.createdAt,
            ])
        }
        for line in table.lines { StandardOutput.writeLine(line) }
    }

    /// One listed payout, as the table and the JSON show it. Amounts are decimal strings, never numbers.
    struct Row: Encodable {
        var referenceID: String
        var status: String
        var reasonCode: String?
        var amount: String
        var held: String?
        var currency: String
        var providerStatus: String?
        var waitingSeconds: Int64
        var createdAt: String
        var latestEventAt: String

        init(_ listing: PayoutListing, now: Int64) {
            let payout = listing.payout
            referenceID = payout.referenceID
            status = payout.status.rawValue
            reasonCode = payout.reasonCode
            amount = WalletsListCommand.decimal(payout.amountMinor, payout.currency)
            held = listing.heldMinor.map { WalletsListCommand.decimal($0, payout.currency) }
            currency = payout.currency
            providerStatus = PayoutsShowCommand.stateField("providerStatus", of: payout)
            waitingSeconds = max(0, (now - listing.latestEventAt) / 1000)
            createdAt = Timestamp.rfc3339(milliseconds: payout.createdAt)
            latestEventAt = Timestamp.rfc3339(milliseconds: listing.latestEventAt)
        }

        enum CodingKeys: String, CodingKey {
            case referenceID = "reference_id"
            case status
            case reasonCode = "reason_code"
            case amount, held, currency
            case providerStatus = "provider_status"
            case waitingSeconds = "waiting_seconds"
            case createdAt = "created_at"
            case latestEventAt = "latest_event_at"
        }
    }

    static func age(_ seconds: Int64) -> String {
        ConsoleFormat.age(seconds: seconds)
    }

    static func milliseconds(rfc3339 text: String) -> Int64? {
        Timestamp.parse(text)?.millisecondsSinceEpoch
    }
}
