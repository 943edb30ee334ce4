import AsyncHTTPClient
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sorts transport failures into "nothing was sent" and "it may have been sent". When in doubt: may have been sent.
enum HTTPErrorClassifier {
    static func classify(_ error: any Error) -> DollrError {
        if let error = error as? DollrError { return error }
        if Task.isCancelled || error is CancellationError { return .outcomeUnknown(.cancelled) }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .tlsHandshakeTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout,
                .getConnectionFromPoolTimeout:
                return .connectionFailed(error.shortName)
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return .outcomeUnknown(.timeout)
            case .cancelled:
                return .outcomeUnknown(.cancelled)
            default:
                return .outcomeUnknown(.connectionLost(error.shortName))
            }
        }
        if error is NIOConnectionError { return .connectionFailed("connection refused or unreachable") }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return .connectionFailed("connect timeout")
        }
        // These errors only come from connect(2): the request was never written.
        if let error = error as? IOError,
            [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(error.errnoCode)
        {
            return .connectionFailed("connection refused or unreachable")
        }
        if error is NIOTooManyBytesError { return .invalidResponse("response body too large") }
        return .outcomeUnknown(.connectionLost(String(describing: type(of: error))))
    }
}

extension HTTPClientError {
    /// `HTTPClientError.remoteConnectionClosed` -> `remoteConnectionClosed`; never includes a URL.
    fileprivate var shortName: String {
        let text = String(describing: self)
        return text.split(separator: ".").last.map(String.init) ?? text
    }
}
