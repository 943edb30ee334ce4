import Synchronization

/// Lock waits a store gave up on since it opened, by kind. Each one was rolled back and, where
/// that can help, run again; a rising count says transactions contend (see the operations guide).
public struct StoreLockConflicts: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The server found a cycle of lock waits and ended one of them.
        case deadlock
        /// A lock was not granted within the store's `lock_timeout`.
        case lockTimeout = "lock_timeout"
        /// A statement ran past the store's `statement_timeout`.
        case statementTimeout = "statement_timeout"
        /// A serialization failure (none is expected under READ COMMITTED; foreign sessions may cause one).
        case serializationFailure = "serialization_failure"

        /// The kind a PostgreSQL SQLSTATE names, if it is one of these.
        init?(sqlState: String) {
            switch sqlState {
            case "40P01": self = .deadlock
            case "55P03": self = .lockTimeout
            case "57014": self = .statementTimeout
            case "40001": self = .serializationFailure
            default: return nil
            }
        }
    }

    public var counts: [Kind: Int]

    public init(counts: [Kind: Int] = [:]) {
        self.counts = counts
    }

    public subscript(kind: Kind) -> Int { counts[kind] ?? 0 }
}

/// The running totals behind ``StoreLockConflicts``, safe to bump from any task (conflicts are
/// rare: a lock is cheaper here than four atomics).
final class LockConflictCounter: Sendable {
    private let counts = Mutex<[StoreLockConflicts.Kind: Int]>([:])

    func record(_ kind: StoreLockConflicts.Kind) {
        counts.withLock { $0[kind, default: 0] += 1 }
    }

    var snapshot: StoreLockConflicts { StoreLockConflicts(counts: counts.withLock { $0 }) }
}
