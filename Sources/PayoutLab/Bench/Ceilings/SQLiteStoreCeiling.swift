import Foundation
import GRDBSQLite
import PayoutEngine

/// intake's store ceiling on SQLite: the very rows an intake pass wrote (each payout, its ACCEPTED
/// event and its outbox entry, in the order they were accepted), written again into a fresh store
/// of the same schema through the SQLite C API alone. It keeps intake's shape: batches of 500, one
/// `BEGIN IMMEDIATE` transaction each, the batch's lookup by reference_id, then one insert per row
/// and table, with the store's writer pragmas (WAL, `synchronous=FULL`, its cache and checkpoint interval, foreign keys).
/// Only the transactions are timed; reading the rows back from the intake store is not.
enum SQLiteStoreCeiling {
    /// Copies the first `skip` payouts untimed (a warm-up), then times the next `count`.
    /// Blocking: call it from a thread of its own.
    static func run(
        source: String,
        target: String,
        skip: Int,
        count: Int,
        batchSize: Int = 500
    ) throws(SQLiteCeilingError) -> StoreCeilingTiming {
        let reader = try Connection(path: source, flags: SQLITE_OPEN_READONLY)
        let writer = try Connection(path: target, flags: SQLITE_OPEN_READWRITE)
        for pragma in PayoutStoreFactory.sqliteWriterPragmas + ["PRAGMA foreign_keys = ON"] {
            try writer.execute(pragma)
        }
        let readPayouts = try reader.prepare("SELECT rowid, * FROM payouts WHERE rowid > ? ORDER BY rowid LIMIT ?")
        let readEvents = try reader.prepare("SELECT * FROM payout_events WHERE reference_id = ?")
        let readOutbox = try reader.prepare(
            "SELECT reference_id, sequence, enqueued_at FROM outbox WHERE reference_id = ?"
        )
        let columns = readPayouts.columnCount - 1
        let insertPayout = try writer.prepare("INSERT INTO payouts VALUES (\(placeholders(columns)))")
        let insertEvent = try writer.prepare(
            "INSERT INTO payout_events VALUES (\(placeholders(readEvents.columnCount)))"
        )
        let insertOutbox = try writer.prepare(
            "INSERT INTO outbox (reference_id, sequence, enqueued_at) VALUES (?, ?, ?)"
        )
        let lookup = try writer.prepare(
            """
            SELECT reference_id, fingerprint, sequence, status, source_topic, source_partition, source_offset FROM payouts
            WHERE reference_id IN (\(placeholders(batchSize)))
            """
        )

        var lastRowID: Int64 = 0
        var copied = 0
        var timed = StoreCeilingTiming(rows: 0, seconds: 0)
        while copied < skip + count {
            // Untimed: this batch's rows, read back from the intake store.
            let wanted = min(batchSize, (copied < skip ? skip : skip + count) - copied)
            try readPayouts.bind([.integer(lastRowID), .integer(Int64(wanted))])
            var payouts: [[SQLValue]] = []
            while try readPayouts.step() { payouts.append(readPayouts.row()) }
            guard !payouts.isEmpty else {
                throw SQLiteCeilingError("\(source) holds \(copied) payouts, expected \(skip + count)")
            }
            guard case .integer(let rowID) = payouts[payouts.count - 1][0] else {
                throw SQLiteCeilingError("payouts.rowid is not an integer")
            }
            lastRowID = rowID
            // Each payout's event and outbox rows (intake writes one of each).
            var dependants: [[(Statement, [SQLValue])]] = []
            for payout in payouts {
                var rows: [(Statement, [SQLValue])] = []
                for (read, insert) in [(readEvents, insertEvent), (readOutbox, insertOutbox)] {
                    try read.bind([payout[1]])
                    while try read.step() { rows.append((insert, read.row())) }
                }
                dependants.append(rows)
            }

            let started = ContinuousClock.now
            try writer.execute("BEGIN IMMEDIATE")
            var keys = payouts.map { $0[1] }
            keys += Array(repeating: .null, count: batchSize - keys.count)
            try lookup.bind(keys)
            while try lookup.step() {}
            for (payout, rows) in zip(payouts, dependants) {
                try insertPayout.bind(Array(payout.dropFirst()))
                while try insertPayout.step() {}
                for (insert, row) in rows {
                    try insert.bind(row)
                    while try insert.step() {}
                }
            }
            try writer.execute("COMMIT")
            if copied >= skip {
                timed.seconds += (ContinuousClock.now - started).seconds
                timed.rows += payouts.count
            }
            copied += payouts.count
        }
        return timed
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}

struct SQLiteCeilingError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A column value, copied out of one statement and bound into another.
enum SQLValue {
    case null
    case integer(Int64)
    case real(Double)
    case text([UInt8])
    case blob([UInt8])
}

/// A bare sqlite3 connection: no pool, no queue, nothing of GRDB's.
private final class Connection {
    let handle: OpaquePointer

    init(path: String, flags: Int32) throws(SQLiteCeilingError) {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let handle else {
            throw SQLiteCeilingError(
                "open \(path): \(handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory")"
            )
        }
        self.handle = handle
        sqlite3_busy_timeout(handle, 10_000)
    }

    deinit { sqlite3_close_v2(handle) }

    func execute(_ sql: String) throws(SQLiteCeilingError) {
        guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw error(sql) }
    }

    func prepare(_ sql: String) throws(SQLiteCeilingError) -> Statement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
            let statement
        else {
            throw error(sql)
        }
        return Statement(statement, connection: self)
    }

    func error(_ context: String) -> SQLiteCeilingError {
        SQLiteCeilingError("\(context.prefix(80)): \(String(cString: sqlite3_errmsg(handle)))")
    }
}

private final class Statement {
    let pointer: OpaquePointer
    let connection: Connection
    var columnCount: Int { Int(sqlite3_column_count(pointer)) }

    init(_ pointer: OpaquePointer, connection: Connection) {
        self.pointer = pointer
        self.connection = connection
    }

    deinit { sqlite3_finalize(pointer) }

    func bind(_ values: [SQLValue]) throws(SQLiteCeilingError) {
        sqlite3_reset(pointer)
        // SQLITE_TRANSIENT: SQLite copies the bytes, so the Swift array may go away.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(pointer, index)
            case .integer(let number): status = sqlite3_bind_int64(pointer, index, number)
            case .real(let number): status = sqlite3_bind_double(pointer, index, number)
            case .text(let bytes):
                // An empty array has no base address; a zero-length text still needs a pointer.
                let padded = bytes.isEmpty ? [0] : bytes
                status = padded.withUnsafeBytes {
                    sqlite3_bind_text(
                        pointer,
                        index,
                        $0.baseAddress?.assumingMemoryBound(to: CChar.self),
                        Int32(bytes.count),
                        transient
                    )
                }
            case .blob(let bytes):
                status = bytes.withUnsafeBytes {
                    sqlite3_bind_blob(pointer, index, $0.baseAddress, Int32($0.count), transient)
                }
            }
            guard status == SQLITE_OK else { throw connection.error("bind \(index)") }
        }
    }

    /// Steps once: true while a row is ready.
    func step() throws(SQLiteCeilingError) -> Bool {
        switch sqlite3_step(pointer) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(String(cString: sqlite3_sql(pointer)))
        }
    }

    func row() -> [SQLValue] {
        (0..<sqlite3_column_count(pointer)).map { column in
            switch sqlite3_column_type(pointer, column) {
            case SQLITE_INTEGER: return .integer(sqlite3_column_int64(pointer, column))
            case SQLITE_FLOAT: return .real(sqlite3_column_double(pointer, column))
            case SQLITE_TEXT: return .text(bytes(column))
            case SQLITE_BLOB: return .blob(bytes(column))
            default: return .null
            }
        }
    }

    private func bytes(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(pointer, column))
        guard count > 0, let base = sqlite3_column_blob(pointer, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }
}
