import Foundation
import LocalPostgres
import Logging
import PayoutEngine
import Synchronization
import TestSupport
import Testing

@Suite("PayoutStoreFactory")
struct PayoutStoreFactoryTests {
    @Test(arguments: [
        ("mysql://u:p@h/db", "unsupported store URL scheme 'mysql'"),
        ("sqlite://relative.db", "absolute path"),
        ("sqlite:///", "absolute file path"),
        ("sqlite:///tmp/x.db?journal=off", "unknown sqlite URL parameter 'journal'"),
        ("sqlite:///tmp/x.db?synchronous=off", "synchronous must be 'full' or 'normal'"),
        ("postgres://u:secret-pw@/db", "needs a host"),
        ("postgres://localhost/db", "needs a user name"),
        ("postgres://u:secret-pw@localhost:99999/db", "port"),
        ("postgres://u:secret-pw@localhost:5432", "needs a database name"),
        ("postgres://u:secret-pw@localhost/db?sslmode=maybe", "sslmode must be"),
        ("postgresql://u:secret-pw@localhost/db?pool_size=0", "pool_size must be"),
        (
            "postgres://u:secret-pw@localhost/db?lock_timeout=0",
            "lock_timeout must be a number of milliseconds from 100"
        ),
        (
            "postgres://u:secret-pw@localhost/db?statement_timeout=5s",
            "statement_timeout must be a number of milliseconds"
        ),
        ("postgres://u:secret-pw@localhost/db?password=x", "unknown postgres URL parameter 'password'"),
        ("postgres://u:secret-pw@local host/db", "malformed"),
    ])
    func invalidURLsAreNamedPrecisely(url: String, expected: String) async throws {
        let error = await #expect(throws: StoreError.self) {
            _ = try await PayoutStoreFactory.open(url: url, logger: quietLogger)
        }
        #expect(error?.kind == .invalidURL)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error")")
        #expect(error?.description.contains("secret-pw") == false)
    }

    @Test func inMemorySQLiteStoresArePrivate() async throws {
        let first = try await PayoutStoreFactory.open(url: "sqlite::memory:", logger: quietLogger)
        let second = try await PayoutStoreFactory.open(url: "sqlite::memory:", logger: quietLogger)
        try await first.migrate()
        try await second.migrate()
        #expect(try await first.accept([command("mem")], now: t0) == [.accepted])
        #expect(try await second.payout(referenceID: "mem") == nil)
        await first.close()
        await first.close()
        let closed = await #expect(throws: StoreError.self) { _ = try await first.outboxBacklog() }
        #expect(closed?.kind == .connection)
        await second.close()
    }

    @Test func postgresConnectionFailuresAreImmediateAndNeverShowThePassword() async throws {
        let server = try await LocalPostgresServer.shared.instance()
        let logs = LogCapture()
        let wrong = "postgres://postgres:wrong-secret@127.0.0.1:\(server.port)/postgres?sslmode=disable"
        let denied = await #expect(throws: StoreError.self) {
            _ = try await PayoutStoreFactory.open(url: wrong, logger: logs.logger())
        }
        #expect(denied?.kind == .connection)
        #expect(denied?.message.contains("28P01") == true, "\(denied?.message ?? "")")
        #expect(denied?.description.contains("wrong-secret") == false)

        let missing = "postgres://postgres:\(server.password)@127.0.0.1:\(server.port)/no_such_db?sslmode=disable"
        let absent = await #expect(throws: StoreError.self) {
            _ = try await PayoutStoreFactory.open(url: missing, logger: logs.logger())
        }
        #expect(absent?.message.contains("3D000") == true, "\(absent?.message ?? "")")
        #expect(absent?.description.contains(server.password) == false)

        // A full session at trace level: the password appears in no log line.
        let url = try await LocalPostgresServer.shared.createDatabase()
        let store = try await PayoutStoreFactory.open(url: url, logger: logs.logger())
        try await store.migrate()
        _ = try await store.accept([command("log-1")], now: t0)
        _ = try await store.claimDue(owner: "w", limit: 1, leaseMilliseconds: minute, now: t0)
        await store.close()
        #expect(!logs.all.isEmpty)
        #expect(logs.all.allSatisfy { !$0.contains(server.password) && !$0.contains("wrong-secret") })
    }

    @Test func postgresDriverNeverTracesStoredStateEvenAtTraceLevel() async throws {
        // PostgresNIO's trace level dumps rows as hex (their first and last 32 bytes); a payout's
        // state holds the recipient's phone until the account exists. So the driver logs nothing
        // below debug, even when the worker runs at trace.
        let phone = "231779990001"
        let logs = LogCapture()
        let url = try await LocalPostgresServer.shared.createDatabase()
        let store = try await PayoutStoreFactory.open(url: url, logger: logs.logger())
        try await store.migrate()
        let payout = NewPayout(
            referenceID: "phone-1",
            fingerprint: "f",
            amountMinor: 100,
            currency: "USD",
            state: #"{"phone":"\#(phone)"}"#,
            acceptedEvent: NewEvent(sequence: 1, status: .accepted, payload: "{}", occurredAt: t0)
        )
        _ = try await store.accept([.command(payout)], now: t0)
        let claimed = try await store.claimDue(owner: "w", limit: 1, leaseMilliseconds: minute, now: t0)
        #expect(claimed.first?.state.contains(phone) == true, "the phone was stored and read back")
        await store.close()
        let hex = phone.utf8.map { String($0, radix: 16) }.joined()
        #expect(!logs.all.isEmpty)
        #expect(!logs.all.contains { $0.hasPrefix("trace ") && $0.contains(" PostgresNIO ") }, "the driver traced")
        #expect(logs.all.allSatisfy { !$0.contains(phone) && !$0.lowercased().contains(hex) })
    }

    @Test func postgresURLAcceptsBothSchemes() async throws {
        let url = try await LocalPostgresServer.shared.createDatabase()
        let alternative =
            url.replacingOccurrences(of: "postgres://", with: "postgresql://")
            + "&pool_size=2&connect_timeout=5&lock_timeout=1500&statement_timeout=20000"
        let store = try await PayoutStoreFactory.open(url: alternative, logger: quietLogger)
        try await store.migrate()
        #expect(try await store.outboxBacklog() == 0)
        await store.close()
    }
}
