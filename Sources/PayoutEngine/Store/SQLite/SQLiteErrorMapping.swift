import GRDB

/// Turns whatever GRDB throws into a `StoreError`. SQLite reports contention as SQLITE_BUSY or
/// SQLITE_LOCKED (another process holds the write lock past the busy timeout): retriable.
enum SQLiteErrorMapping {
    static func storeError(_ error: any Error, operation: String) -> StoreError {
        switch error {
        case let error as StoreError:
            return error
        case let error as DatabaseError:
            let detail =
                "\(operation): \(error.message ?? "SQLite error") (SQLite code \(error.extendedResultCode.rawValue))"
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return StoreError(.conflict, detail, isRetriable: true)
            case .SQLITE_CONSTRAINT:
                return StoreError(.conflict, detail)
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                return StoreError(.corrupt, detail)
            case .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_PERM:
                return StoreError(.connection, detail)
            default:
                return StoreError(.other, detail)
            }
        case is CancellationError:
            return StoreError(.other, "\(operation): cancelled")
        default:
            return StoreError(.other, "\(operation): \(error)")
        }
    }
}
