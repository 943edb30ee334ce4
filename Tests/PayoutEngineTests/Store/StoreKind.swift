import Foundation
import LocalPostgres
import Logging
import PayoutEngine
import TestSupport
import Testing

/// The store implementations the conformance suite runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A fresh, migrated database of one kind, and the means to open more stores on it (a second
/// pool is what a second worker process would have).
struct StoreFixture: Sendable {
    let kind: StoreKind
    let url: String
    let store: any PayoutStore

    /// Another, independent store on the same database, migrated.
    func another(logger: Logger = quietLogger) async throws -> any PayoutStore {
        let other = try await PayoutStoreFactory.open(url: url, logger: logger)
        try await other.migrate()
        return other
    }
}

let quietLogger = Logger(label: "payout-store-tests") { _ in SwiftLogNoOpLogHandler() }

/// A URL for a new, empty database of `kind` (a file in a temporary directory for SQLite).
func freshDatabaseURL(_ kind: StoreKind) async throws -> String {
    switch kind {
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "payout-store-tests",
            isDirectory: true
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return "sqlite://\(directory.path)/\(UUID().uuidString).db"
    case .postgres:
        return try await LocalPostgresServer.shared.createDatabase()
    }
}

/// Runs `body` with a migrated store on a fresh database, then closes every store it opened and
/// removes SQLite files.
func withStore(
    _ kind: StoreKind,
    logger: Logger = quietLogger,
    _ body: (StoreFixture) async throws -> Void
) async throws {
    let url = try await freshDatabaseURL(kind)
    let store = try await PayoutStoreFactory.open(url: url, logger: logger)
    defer {
        if kind == .sqlite, let path = url.split(separator: "://", maxSplits: 1).last {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: String(path) + suffix) }
        }
    }
    do {
        try await store.migrate()
        try await body(StoreFixture(kind: kind, url: url, store: store))
    } catch {
        await store.close()
        throw error
    }
    await store.close()
}
