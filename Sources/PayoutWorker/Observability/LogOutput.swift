#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where log lines go: standard error in production, a closure in tests.
///
/// A `TextOutputStream`, so swift-log's `StreamLogHandler` can write to it as well as our ``JSONLogHandler``.
public struct LogOutput: TextOutputStream, Sendable {
    private let sink: @Sendable (String) -> Void

    /// Writes each piece of text with its own `write(2)` calls on file descriptor 2, unbuffered: a line handed over
    /// whole is not interleaved with another thread's line, and nothing is lost in a buffer when the process dies.
    public static let standardError = LogOutput(writeToStandardError)

    public init(_ sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    public mutating func write(_ string: String) {
        self.sink(string)
    }
}

/// All of `text` to file descriptor 2, retrying partial writes and interruptions.
private func writeToStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(2, base + offset, bytes.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return  // stderr is gone; there is nowhere left to report it
            }
        }
    }
}
