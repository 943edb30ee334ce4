import GRDB
import PostgresNIO
import Testing

@testable import PayoutEngine

/// Statuses are TEXT in both databases; a value the engine does not know is never read back as a
/// status it does: every read that meets one fails, naming it.
@Suite("Stored statuses")
struct StoredStatusTests {
    @Test(arguments: StoreKind.allCases)
    func unknownStatusIsRefusedByName(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            #expect(try await store.accept([command("s-1")], now: t0) == [.accepted])
            #expect(try await store.payout(referenceID: "s-1")?.status == .accepted)
            try await Self.overwriteStatus(of: "s-1", with: "ON_HOLD", in: store)

            let reads: [(String, () async throws(StoreError) -> Void)] = [
                ("payout", { () async throws(StoreError) in _ = try await store.payout(referenceID: "s-1") }),
                ("events", { () async throws(StoreError) in _ = try await store.events(referenceID: "s-1") }),
                ("countsByStatus", { () async throws(StoreError) in _ = try await store.countsByStatus() }),
                (
                    "listPayouts",
                    { () async throws(StoreError) in _ = try await store.listPayouts(status: nil, since: nil, limit: 10)
                    }
                ),
            ]
            for (name, read) in reads {
                do throws(StoreError) {
                    try await read()
                    Issue.record("\(name) read an unknown status")
                } catch {
                    #expect(error.kind == .corrupt && error.message.contains("'ON_HOLD'"), "\(name): \(error)")
                }
            }
        }
    }

    /// Writes `status` into the payout's row, and as the status of a second event (events are
    /// immutable once written), past the typed API.
    static func overwriteStatus(of reference: String, with status: String, in store: any PayoutStore) async throws {
        if let sqlite = store as? SQLitePayoutStore {
            _ = try await sqlite.transaction("overwrite") { db in
                try db.execute(
                    sql: "UPDATE payouts SET status = ? WHERE reference_id = ?",
                    arguments: [status, reference]
                )
                try db.execute(
                    sql: """
                        INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at)
                        VALUES (?, 2, ?, '{}', ?)
                        """,
                    arguments: [reference, status, t0]
                )
                return .commit(0)
            }
        } else if let postgres = store as? PostgresPayoutStore {
            _ = try await postgres.transaction("overwrite") { connection in
                try await connection.query(
                    "UPDATE payouts SET status = \(status) WHERE reference_id = \(reference)",
                    logger: quietLogger
                )
                try await connection.query(
                    """
                    INSERT INTO payout_events (reference_id, sequence, status, payload, occurred_at)
                    VALUES (\(reference), 2, \(status), '{}', \(t0))
                    """,
                    logger: quietLogger
                )
                return .commit(0)
            }
        } else {
            Issue.record("no way to write past \(type(of: store))")
        }
    }
}
