import PostgresNIO

/// Turns postgres-nio errors into `StoreError`s. Messages are built from the server's message and
/// SQLSTATE only: never from `String(reflecting:)`, which carries query binds.
enum PostgresErrorMapping {
    /// Whether a transaction the server ended with `sqlState` can simply run again: the server
    /// rolled it back for a deadlock or a serialization failure. A lock or statement timeout is
    /// not among them: what held the lock that long still holds it.
    static func runsAgain(after sqlState: String) -> Bool {
        switch StoreLockConflicts.Kind(sqlState: sqlState) {
        case .deadlock?, .serializationFailure?: true
        case .lockTimeout?, .statementTimeout?, nil: false
        }
    }

    static func sqlState(of error: any Error) -> String? {
        (unwrap(error) as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func storeError(_ error: any Error, operation: String) -> StoreError {
        let error = unwrap(error)
        switch error {
        case let error as StoreError:
            return error
        case let error as PSQLError:
            return storeError(error, operation: operation)
        case is CancellationError:
            return StoreError(.other, "\(operation): cancelled")
        default:
            // postgres-nio's pool errors (`ConnectionPoolError`) live in a module this target does
            // not import; they describe themselves by case name.
            let text = String(describing: error)
            if text.contains("connectionCreationCircuitBreakerTripped") {
                return StoreError(
                    .connection,
                    "\(operation): cannot connect to PostgreSQL (connection attempts keep failing)",
                    isRetriable: true
                )
            }
            if text.contains("poolShutdown") {
                return StoreError(.connection, "\(operation): the store is closed")
            }
            return StoreError(.other, "\(operation): \(type(of: error))")
        }
    }

    private static func storeError(_ error: PSQLError, operation: String) -> StoreError {
        switch error.code {
        case .server:
            return storeError(
                sqlState: error.serverInfo?[.sqlState] ?? "?????",
                message: error.serverInfo?[.message] ?? "server error",
                operation: operation
            )
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            return StoreError(
                .connection,
                "\(operation): connection to PostgreSQL lost (\(error.code))",
                isRetriable: true
            )
        case .poolClosed:
            return StoreError(.connection, "\(operation): the store is closed")
        case .queryCancelled:
            return StoreError(.other, "\(operation): cancelled")
        case .sslUnsupported:
            return StoreError(
                .connection,
                "\(operation): the server does not support TLS (sslmode=disable connects without it)"
            )
        case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            return StoreError(.connection, "\(operation): PostgreSQL authentication failed (\(error.code))")
        default:
            return StoreError(.other, "\(operation): PostgreSQL client error (\(error.code))")
        }
    }

    /// A server error by its SQLSTATE and message: from a failed statement, or reported by
    /// `payout_step` (``PostgresEngineStep``) for an error it caught and rolled back.
    static func storeError(sqlState state: String, message: String, operation: String) -> StoreError {
        let detail = "\(operation): \(message) (SQLSTATE \(state))"
        switch state {
        case _ where StoreLockConflicts.Kind(sqlState: state) != nil:
            // Serialization failure, deadlock, lock timeout, statement timeout.
            return StoreError(.conflict, detail, isRetriable: true)
        case "57P01", "57P02", "57P03", "53300":
            // Server shutting down, crash recovery, too many connections.
            return StoreError(.connection, detail, isRetriable: true)
        case "28000", "28P01", "3D000":
            // Authentication failed or database does not exist: a retry cannot help.
            return StoreError(.connection, detail)
        case _ where state.hasPrefix("08"):
            return StoreError(.connection, detail, isRetriable: true)
        case _ where state.hasPrefix("23"):
            return StoreError(.conflict, detail)
        case "XX001", "XX002":
            return StoreError(.corrupt, detail)
        default:
            return StoreError(.other, detail)
        }
    }

    /// `withTransaction`-style wrappers hide the interesting error one level down.
    static func unwrap(_ error: any Error) -> any Error {
        if let transaction = error as? PostgresTransactionError {
            return transaction.closureError ?? transaction.commitError ?? transaction.beginError ?? error
        }
        return error
    }
}
