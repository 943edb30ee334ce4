import CivilTime
import DollrClient
import Foundation
import Kafka
import PayoutEngine

/// What each page shows, read from the store (and, in a worker, from its live figures), as plain
/// values for the templates. Every amount is exact decimal text from minor units.
struct ConsolePages {
    let backend: ConsoleBackend
    let now: Int64

    // MARK: Overview

    struct Overview {
        struct StatusCount {
            var status: String
            var count: Int
        }
        struct Wallet {
            var walletID: String
            var currency: String
            var held: String
            var available: String
        }
        struct Minute {
            var minute: String
            var completed: Int
            var failed: Int
            var review: Int
            var total: Int
            var peak: Int
        }
        struct Percentile {
            var percentile: Int
            var milliseconds: Int64
        }
        struct Lag {
            var topic: String
            var partition: Int32
            var messages: Int64
        }
        struct Check {
            var name: String
            var state: String
            var message: String?
        }
        struct Worker {
            var owner: String
            var payouts: Int
            var nextExpiry: String
        }

        var statusCounts: [StatusCount]
        var reviewCount: Int
        var reviewOldest: String?
        var outboxBacklog: Int
        var unsentDeadLetters: Int
        var wallets: [Wallet]
        var throughput: [Minute]
        var isWorker: Bool
        var latency: [Percentile]
        var latencySamples: Int
        var lag: [Lag]
        var checks: [Check]
        var workers: [Worker]
    }

    /// The statuses in the order a payout moves through them.
    static let statuses: [PayoutStatus] = [.accepted, .pending, .processing, .requiresReview, .completed, .failed]

    func overview() async throws(StoreError) -> Overview {
        let store = backend.store
        let counts = try await store.countsByStatus()
        let queue = try await store.reviewQueue()
        let wallets = try await store.wallets()
        let window: Int64 = 15 * 60_000
        let finished = try await store.finishedPerMinute(since: (now - window) / 60_000 * 60_000)
        var minutes: [Int64: (completed: Int, failed: Int, review: Int)] = [:]
        for bucket in finished {
            var row = minutes[bucket.minuteStart] ?? (0, 0, 0)
            switch bucket.status {
            case .completed: row.completed += bucket.count
            case .failed: row.failed += bucket.count
            case .requiresReview: row.review += bucket.count
            // Not where a payout ends: `finishedPerMinute` never reports them.
            case .accepted, .pending, .processing, .rejected: continue
            }
            minutes[bucket.minuteStart] = row
        }
        let peak = max(1, minutes.values.map { $0.completed + $0.failed + $0.review }.max() ?? 1)
        let throughput = minutes.sorted { $0.key > $1.key }.map { start, row in
            return Overview.Minute(
                minute: String(Timestamp.rfc3339(milliseconds: start).dropFirst(11).prefix(5)),
                completed: row.completed,
                failed: row.failed,
                review: row.review,
                total: row.completed + row.failed + row.review,
                peak: peak
            )
        }
        var checks: [Overview.Check] = []
        if let readiness = backend.readiness {
            checks = await readiness().checks.sorted { $0.key < $1.key }.map { name, result in
                Overview.Check(name: name, state: result.status, message: result.message)
            }
        }
        let recent = backend.recent
        return Overview(
            statusCounts: Self.statuses.map {
                Overview.StatusCount(status: $0.rawValue, count: counts[$0] ?? 0)
            },
            reviewCount: queue.count,
            reviewOldest: queue.oldestSince.map { ConsoleFormat.age(milliseconds: now - $0) },
            outboxBacklog: try await store.outboxBacklog(),
            unsentDeadLetters: try await store.unsentDeadLetterCount(),
            wallets: wallets.map { wallet in
                Overview.Wallet(
                    walletID: wallet.walletID,
                    currency: wallet.currency,
                    held: ConsoleFormat.amount(wallet.heldMinor, wallet.currency),
                    available: ConsoleFormat.amount(wallet.availableMinor, wallet.currency)
                )
            },
            throughput: throughput,
            isWorker: backend.workerID != nil,
            latency: (recent?.executeLatency() ?? []).map {
                Overview.Percentile(percentile: $0.percentile, milliseconds: $0.milliseconds)
            },
            latencySamples: recent?.executeSampleCount ?? 0,
            lag: (recent?.consumerLag ?? [:]).sorted {
                ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition)
            }.map {
                Overview.Lag(topic: $0.key.topic, partition: $0.key.partition, messages: $0.value)
            },
            checks: checks,
            workers: try await store.leaseHolders(now: now).map {
                Overview.Worker(owner: $0.owner, payouts: $0.payouts, nextExpiry: ConsoleFormat.time($0.nextExpiry))
            }
        )
    }

    // MARK: Lists

    struct PayoutRow {
        var referenceID: String
        var status: String
        var amount: String
        var held: String
        var waiting: String
        var providerStatus: String
        var reasonCode: String

        init(_ listing: PayoutListing, now: Int64) {
            let payout = listing.payout
            referenceID = payout.referenceID
            status = payout.status.rawValue
            amount = ConsoleFormat.amount(payout.amountMinor, payout.currency)
            held = listing.heldMinor.map { ConsoleFormat.amount($0, payout.currency) } ?? "-"
            waiting = ConsoleFormat.age(milliseconds: now - listing.latestEventAt)
            providerStatus = PayoutOperatorView(payout)?.providerStatus ?? "-"
            reasonCode = payout.reasonCode ?? "-"
        }
    }

    struct PayoutList {
        struct StatusOption {
            var name: String
            var selected: Bool
        }
        var rows: [PayoutRow]
        var statuses: [StatusOption]
    }

    func review() async throws(StoreError) -> PayoutList {
        let listings = try await backend.store.listPayouts(status: .requiresReview, since: nil, limit: 500)
        return PayoutList(rows: listings.map { PayoutRow($0, now: now) }, statuses: [])
    }

    func payouts(status: PayoutStatus?) async throws(StoreError) -> PayoutList {
        let listings = try await backend.store.listPayouts(status: status, since: nil, limit: 200)
        return PayoutList(
            rows: listings.map { PayoutRow($0, now: now) },
            statuses: Self.statuses.map { PayoutList.StatusOption(name: $0.rawValue, selected: $0 == status) }
        )
    }

    // MARK: One payout

    struct Detail {
        struct Field {
            var name: String
            var value: String
        }
        struct Entry {
            var key: String
            var value: String
        }
        struct Event {
            var sequence: Int
            var status: String
            var time: String
        }
        struct Audit {
            var time: String
            var actor: String
            var forced: Bool
            var statusBefore: String
            var statusAfter: String
            var providerAnswer: String
            var ledger: String
            var note: String
        }

        var referenceID: String
        var fields: [Field]
        var metadata: [Entry]
        var events: [Event]
        var audit: [Audit]
        var underReview: Bool
        /// Set when the resolution form is offered.
        var resolveCSRF: String?
        var resolveNeedsToken: Bool
    }

    /// Nil when the store knows no payout by that reference_id.
    func detail(referenceID: ReferenceID) async throws(StoreError) -> Detail? {
        let store = backend.store
        guard let payout = try await store.payout(referenceID: referenceID.text) else { return nil }
        let events = try await store.events(referenceID: payout.referenceID)
        let hold = try await store.hold(referenceID: payout.referenceID)
        let audit = try await store.auditRecords(referenceID: payout.referenceID, limit: 100)
        let view = PayoutOperatorView(payout)
        let amount = { (minor: Int64) in ConsoleFormat.amount(minor, payout.currency) }
        var fields: [Detail.Field] = [
            .init(name: "Status", value: payout.status.rawValue + (payout.isFinal ? " (final)" : "")),
            .init(
                name: "Reason",
                value: view?.reason.map { "\($0.code.rawValue): \($0.message)" } ?? payout.reasonCode ?? "-"
            ),
            .init(name: "Amount", value: amount(payout.amountMinor)),
            .init(name: "Phase", value: view?.phase ?? "-"),
            .init(name: "Dollr says", value: view?.providerStatus ?? "-"),
            .init(name: "Dollr transaction", value: view?.providerTransactionID ?? "-"),
            .init(name: "Payout account", value: view?.payoutAccountID.map(String.init) ?? "-"),
            .init(name: "Execute attempts", value: String(view?.executeAttempts ?? 0)),
        ]
        if let recipient = view?.recipient {
            let phone = recipient.maskedPhone.map { ", \($0)" } ?? ""
            fields.append(
                .init(
                    name: "Recipient",
                    value: "\(recipient.maskedName) (\(recipient.provider) \(recipient.method)\(phone))"
                )
            )
        }
        if let hold {
            let settled = hold.settledMinor.map { ", debited \(amount($0))" } ?? ""
            fields.append(
                .init(
                    name: "Hold",
                    value: "\(hold.state.rawValue) \(amount(hold.amountMinor)) on wallet \(hold.walletID)\(settled)"
                )
            )
        } else {
            fields.append(.init(name: "Hold", value: "none"))
        }
        if let since = view?.reviewSince {
            fields.append(.init(name: "In review for", value: ConsoleFormat.age(milliseconds: now - since)))
        }
        fields.append(.init(name: "Created", value: ConsoleFormat.time(payout.createdAt)))
        fields.append(.init(name: "Updated", value: ConsoleFormat.time(payout.updatedAt)))
        return Detail(
            referenceID: payout.referenceID,
            fields: fields,
            metadata: (view?.metadata ?? [:]).sorted { $0.key < $1.key }.map {
                Detail.Entry(key: $0.key, value: $0.value)
            },
            events: events.map {
                Detail.Event(sequence: $0.sequence, status: $0.status.rawValue, time: ConsoleFormat.time($0.occurredAt))
            },
            audit: audit.map {
                Detail.Audit(
                    time: ConsoleFormat.time($0.recordedAt),
                    actor: $0.actor,
                    forced: $0.forced,
                    statusBefore: $0.statusBefore.rawValue,
                    statusAfter: $0.statusAfter.rawValue,
                    providerAnswer: $0.providerAnswer,
                    ledger: $0.ledger,
                    note: $0.note
                )
            },
            underReview: payout.status == .requiresReview,
            resolveCSRF: nil,
            resolveNeedsToken: false
        )
    }

    // MARK: Wallets and dead letters

    struct Wallets {
        struct Row {
            var walletID: String
            var currency: String
            var balance: String
            var held: String
            var available: String
        }
        var rows: [Row]
    }

    func wallets() async throws(StoreError) -> Wallets {
        Wallets(
            rows: try await backend.store.wallets().map { wallet in
                let amount = { (minor: Int64) in ConsoleFormat.amount(minor, wallet.currency) }
                return Wallets.Row(
                    walletID: wallet.walletID,
                    currency: wallet.currency,
                    balance: amount(wallet.balanceMinor),
                    held: amount(wallet.heldMinor),
                    available: amount(wallet.availableMinor)
                )
            }
        )
    }

    struct DeadLetterList {
        struct Row {
            var id: Int64
            var reason: String
            var detail: String
            var source: String
            var keptAt: String
            var sentAt: String
            var error: String
        }
        var rows: [Row]
        var unsent: Int
        /// Set when the retry button is offered.
        var retryCSRF: String?
    }

    func deadLetters() async throws(StoreError) -> DeadLetterList {
        let letters = try await backend.store.keptDeadLetters(unsentOnly: false, limit: 500)
        return DeadLetterList(
            rows: letters.map { letter in
                DeadLetterList.Row(
                    id: letter.id,
                    reason: letter.reason,
                    detail: letter.detail,
                    source: "\(letter.sourceTopic)[\(letter.sourcePartition)]@\(letter.sourceOffset)",
                    keptAt: ConsoleFormat.time(letter.keptAt),
                    sentAt: letter.sentAt.map(ConsoleFormat.time) ?? "-",
                    error: letter.error
                )
            },
            unsent: letters.filter { $0.sentAt == nil }.count,
            retryCSRF: nil
        )
    }
}

/// How the console writes times, ages and amounts.
public enum ConsoleFormat {
    /// RFC 3339 UTC, to the second: `2026-12-07 03:14:15`.
    static func time(_ milliseconds: Int64) -> String {
        let text = Timestamp.rfc3339(milliseconds: milliseconds)
        return String(text.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }

    /// Exact decimal text of minor units in the currency's digits.
    static func amount(_ minor: Int64, _ currency: String) -> String {
        guard let code = try? CurrencyCode(currency) else { return "\(minor) (minor units) \(currency)" }
        return "\(Money(minorUnits: minor, currency: code)) \(currency)"
    }

    static func age(milliseconds: Int64) -> String {
        age(seconds: max(0, milliseconds) / 1000)
    }

    /// `3d 4h`, `2h 13m`, `5m 2s`, `40s`: the two largest units.
    public static func age(seconds: Int64) -> String {
        let units: [(Int64, String)] = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")]
        var rest = seconds
        var parts: [String] = []
        for (size, name) in units where rest >= size || (size == 1 && parts.isEmpty) {
            parts.append("\(rest / size)\(name)")
            rest %= size
            if parts.count == 2 { break }
        }
        return parts.joined(separator: " ")
    }
}
