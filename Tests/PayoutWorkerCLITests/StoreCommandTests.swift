import Foundation
import Logging
import PayoutEngine
import TestSupport
import Testing

/// `wallets` and `payouts`, run as the real binary against a real SQLite file.
@Suite("payout-worker wallets and payouts")
struct StoreCommandTests {
    /// A store URL in a fresh directory; the directory is removed by `remove()`.
    struct ScratchStore {
        let directory: URL
        var path: String { self.directory.appendingPathComponent("payouts.db").path }
        var url: String { "sqlite://\(self.path)" }

        init(named name: String = "payout-cli") throws {
            self.directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "\(name)-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        }

        func remove() { try? FileManager.default.removeItem(at: self.directory) }
    }

    struct Outcome {
        var status: Int32
        var stdout: [String]
        var stderr: String
    }

    static func run(
        _ arguments: [String],
        store: ScratchStore,
        environment: [String: String] = [:]
    ) async throws -> Outcome {
        let child = try ChildProcess(
            ChildProcess.payoutWorkerBinary,
            arguments: arguments,
            environment: ["PAYOUT_STORE_URL": store.url].merging(environment) { _, new in new }
        )
        let status = try await child.waitForExit()
        return Outcome(status: status, stdout: child.stdoutLines.elements, stderr: child.stderr)
    }

    /// Cells of a table line, split on runs of two or more spaces.
    static func cells(_ line: String) -> [String] {
        line.split(separator: "  ", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    @Test("wallets set declares exact balances and wallets list shows balance, holds and available")
    func setAndList() async throws {
        let store = try ScratchStore()
        defer { store.remove() }

        let empty = try await Self.run(["wallets", "list"], store: store)
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect(empty.stdout == ["no wallets declared"])

        let usd = try await Self.run(["wallets", "set", "usd-main", "USD", "25000.5"], store: store)
        #expect(usd.status == 0, "\(usd.stderr)")
        #expect(
            usd.stdout.map(Self.cells) == [
                ["WALLET", "CURRENCY", "BALANCE", "HELD", "AVAILABLE"],
                ["usd-main", "USD", "25000.50", "0.00", "25000.50"],
            ]
        )
        let lrd = try await Self.run(["wallets", "set", "lrd-main", "LRD", "4000000"], store: store)
        #expect(lrd.status == 0, "\(lrd.stderr)")
        let again = try await Self.run(["wallets", "set", "usd-main", "USD", "100.05"], store: store)
        #expect(again.status == 0, "\(again.stderr)")

        let list = try await Self.run(["wallets", "list"], store: store)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(
            list.stdout.map(Self.cells) == [
                ["WALLET", "CURRENCY", "BALANCE", "HELD", "AVAILABLE"],
                ["lrd-main", "LRD", "4000000.00", "0.00", "4000000.00"],
                ["usd-main", "USD", "100.05", "0.00", "100.05"],
            ]
        )
    }

    @Test("a balance with more digits than the currency has is a usage error, before the store is touched")
    func invalidBalance() async throws {
        let store = try ScratchStore()
        defer { store.remove() }
        let outcome = try await Self.run(["wallets", "set", "usd-main", "USD", "1.005"], store: store)
        #expect(outcome.status == 64)
        #expect(
            outcome.stderr.contains("balance '1.005': USD amounts have at most 2 fraction digits"),
            "\(outcome.stderr)"
        )
        #expect(outcome.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: store.path), "the store was not opened")

        let negative = try await Self.run(["wallets", "set", "usd-main", "USD", "--", "-5"], store: store)
        #expect(negative.status == 64)
        #expect(negative.stderr.contains("balance '-5': amount must not be negative"), "\(negative.stderr)")

        let currency = try await Self.run(["wallets", "set", "usd-main", "US$", "5"], store: store)
        #expect(currency.status == 64)
        #expect(currency.stderr.contains("currency 'US$': currency code must match ^[A-Z]{3}$"), "\(currency.stderr)")
    }

    @Test("payouts show of an unknown reference_id exits 1 naming it")
    func unknownPayout() async throws {
        let store = try ScratchStore()
        defer { store.remove() }
        let outcome = try await Self.run(["payouts", "show", "0b9a3c1e-0000-4000-8000-000000000000"], store: store)
        #expect(outcome.status == 1)
        #expect(
            outcome.stderr.contains("no payout with reference_id 0b9a3c1e-0000-4000-8000-000000000000"),
            "\(outcome.stderr)"
        )
        #expect(outcome.stdout.isEmpty)
    }

    @Test("a reference_id that is no UUID is a usage error saying what one looks like; case does not matter")
    func malformedReference() async throws {
        let store = try ScratchStore()
        defer { store.remove() }
        for (arguments, name) in [
            (["payouts", "show", "t-1"], "reference_id"),
            (
                ["payouts", "resolve", "{0b9a3c1e-0000-4000-8000-000000000000}", "--as", "FAILED", "--note", "n"],
                "reference_id"
            ),
            (["audit", "list", "--reference-id", " 0b9a3c1e-0000-4000-8000-000000000000"], "--reference-id"),
        ] {
            let outcome = try await Self.run(arguments, store: store)
            #expect(outcome.status == 64, "\(arguments): \(outcome.stderr)")
            #expect(
                outcome.stderr.contains("\(name): '")
                    && outcome.stderr.contains("' is not a reference_id: a reference_id is a UUID"),
                "\(arguments): \(outcome.stderr)"
            )
        }
        let upper = try await Self.run(["payouts", "show", "0B9A3C1E-0000-4000-8000-00000000000F"], store: store)
        #expect(upper.status == 1)
        #expect(
            upper.stderr.contains("no payout with reference_id 0b9a3c1e-0000-4000-8000-00000000000f"),
            "looked up in the stored, lower-case form: \(upper.stderr)"
        )
    }

    @Test("a bad configuration exits 1 naming the variable, without the password")
    func badConfiguration() async throws {
        let store = try ScratchStore()
        defer { store.remove() }
        let outcome = try await Self.run(
            ["wallets", "list"],
            store: store,
            environment: ["PAYOUT_STORE_URL": "mysql://root:hunter2@db/payouts"]
        )
        #expect(outcome.status == 1)
        #expect(
            outcome.stderr.contains("environment variable PAYOUT_STORE_URL: scheme must be sqlite or postgres"),
            "\(outcome.stderr)"
        )
        #expect(!outcome.stderr.contains("hunter2"))

        let file = try await Self.run(
            ["wallets", "list", "--config", store.directory.appendingPathComponent("absent.json").path],
            store: store
        )
        #expect(file.status == 1)
        #expect(file.stderr.contains("absent.json: cannot be read"), "\(file.stderr)")
    }

    @Test("payouts show prints status, reason, amount, hold and events, and never the recipient's phone")
    func showPayout() async throws {
        let store = try ScratchStore()
        defer { store.remove() }
        let reference = "6f1c2d3e-4b5a-4c6d-8e7f-901234567890"
        let phone = "231771234567"
        try await Self.seedFailedPayout(reference: reference, phone: phone, store: store)

        let outcome = try await Self.run(["payouts", "show", reference], store: store)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let fields = Dictionary(
            outcome.stdout.prefix(while: { !$0.isEmpty }).map { line in
                let cells = Self.cells(line)
                return (cells[0], cells.dropFirst().joined(separator: "  "))
            },
            uniquingKeysWith: { $1 }
        )
        #expect(fields["reference_id"] == reference)
        #expect(fields["status"] == "FAILED (final)")
        #expect(fields["reason"] == "INSUFFICIENT_FUNDS: wallet usd-main has 10.00 available")
        #expect(fields["amount"] == "100.50")
        #expect(fields["currency"] == "USD")
        #expect(fields["sequence"] == "2")
        #expect(fields["phase"] == "finished")
        #expect(fields["hold"] == "voided 101.50 on usd-main")
        let events = outcome.stdout.drop(while: { $0 != "events" }).dropFirst().map(Self.cells)
        #expect(events.map { Array($0.prefix(2)) } == [["SEQUENCE", "STATUS"], ["1", "ACCEPTED"], ["2", "FAILED"]])
        #expect(events.dropFirst().allSatisfy { $0.count == 3 && $0[2].hasSuffix("Z") }, "times in UTC: \(events)")
        let everything = outcome.stdout.joined(separator: "\n") + outcome.stderr
        #expect(
            !everything.contains(phone) && !everything.contains("Jane Recipient"),
            "recipient printed: \(everything)"
        )
    }

    @Test("store commands log through the worker's masking handler, at warning unless --log-level says otherwise")
    func logsAreMasked() async throws {
        let phone = "231771234567"
        // The SQLite store logs its path at debug level: a directory named after the phone puts the
        // digits into a log line, which only the masking handler keeps from reaching stderr in clear.
        let store = try ScratchStore(named: "recipient-\(phone)")
        defer { store.remove() }
        let reference = "6f1c2d3e-4b5a-4c6d-8e7f-901234567891"
        try await Self.seedFailedPayout(reference: reference, phone: phone, store: store)

        let quiet = try await Self.run(["payouts", "show", reference], store: store)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(quiet.stderr.isEmpty, "nothing below warning by default: \(quiet.stderr)")

        let traced = try await Self.run(["payouts", "show", reference, "--log-level", "trace"], store: store)
        #expect(traced.status == 0, "\(traced.stderr)")
        #expect(traced.stderr.contains("opened SQLite payout store"), "debug lines are logged: \(traced.stderr)")
        #expect(traced.stderr.contains("recipient-********4567"), "the phone is masked to its last 4: \(traced.stderr)")
        let everything = traced.stdout.joined(separator: "\n") + traced.stderr
        #expect(!everything.contains(phone), "phone printed in clear: \(everything)")
    }

    /// Writes, through the store API the engine uses, a payout whose state still holds the
    /// recipient's phone: accepted, held, then failed with the hold voided.
    static func seedFailedPayout(reference: String, phone: String, store location: ScratchStore) async throws {
        var logger = Logger(label: "cli-test")
        logger.logLevel = .warning
        let store = try await PayoutStoreFactory.open(url: location.url, logger: logger)
        try await store.migrate()
        let now = StoreClock.system.now()
        func state(phase: String, reason: String?) -> String {
            let reasonJSON = reason.map { #","reason":{"code":"INSUFFICIENT_FUNDS","message":"\#($0)"}"# } ?? ""
            return #"{"command":{"referenceID":"\#(reference)","amountMinor":10050,"currency":"USD","#
                + #""recipient":{"accountName":"Jane Recipient","partyID":42,"phone":"\#(phone)","#
                + #""provider":"MTN_MOMO_LBR","method":"MTN_MOMO_LBR"},"metadata":{}},"phase":"\#(phase)""#
                + reasonJSON + "}"
        }
        try await store.setWallet(id: "usd-main", currency: "USD", balanceMinor: 1_000, now: now)
        let accepted = NewEvent(sequence: 1, status: .accepted, payload: "{}", occurredAt: now)
        let intake = try await store.accept(
            [
                .command(
                    NewPayout(
                        referenceID: reference,
                        fingerprint: "f",
                        amountMinor: 10_050,
                        currency: "USD",
                        state: state(phase: "accepted", reason: nil),
                        acceptedEvent: accepted
                    )
                )
            ],
            now: now
        )
        #expect(intake == [.accepted])
        _ = try await store.claimDue(owner: "cli-test", limit: 1, leaseMilliseconds: 60_000, now: now)
        // A hold the wallet cannot cover is refused by the store, so declare enough first, hold, then fail.
        try await store.setWallet(id: "usd-main", currency: "USD", balanceMinor: 20_000, now: now)
        let held = try await store.commit(
            PayoutTransition(
                referenceID: reference,
                leaseOwner: "cli-test",
                state: state(phase: "reserved", reason: nil),
                status: .accepted,
                isFinal: false,
                reasonCode: nil,
                events: [],
                ledger: .hold(currency: "USD", amountMinor: 10_150),
                nextAttemptAt: now,
                renewLeaseMilliseconds: 60_000,
                incrementAttempts: false
            ),
            now: now
        )
        guard case .committed = held else { throw StoreError(.other, "hold not committed: \(held)") }
        let failed = try await store.commit(
            PayoutTransition(
                referenceID: reference,
                leaseOwner: "cli-test",
                state: state(phase: "finished", reason: "wallet usd-main has 10.00 available"),
                status: .failed,
                isFinal: true,
                reasonCode: "INSUFFICIENT_FUNDS",
                events: [NewEvent(sequence: 2, status: .failed, payload: "{}", occurredAt: now + 5)],
                ledger: .void,
                nextAttemptAt: now,
                renewLeaseMilliseconds: nil,
                incrementAttempts: false
            ),
            now: now + 5
        )
        guard case .committed = failed else { throw StoreError(.other, "failure not committed: \(failed)") }
        await store.close()
    }
}
