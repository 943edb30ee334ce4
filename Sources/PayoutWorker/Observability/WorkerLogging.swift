public import Logging
import Synchronization

/// The process-wide log handler: JSON lines or swift-log's text format on standard error, both masked by
/// ``LogRedaction`` (see ``RedactingLogHandler``).
public enum WorkerLogging {
    private static let bootstrapped = Atomic(false)

    /// Installs the handler with `LoggingSystem.bootstrap`. swift-log allows that once per process; later calls
    /// are ignored rather than crashing, so every entry point may call this. Returns whether this call installed it.
    /// With a `metadataProvider` (tracing's, which adds `trace_id` and `span_id`), every line also
    /// carries what it provides.
    @discardableResult
    public static func bootstrap(
        json: Bool,
        level: Logger.Level,
        metadataProvider: Logger.MetadataProvider? = nil
    ) -> Bool {
        guard
            Self.bootstrapped.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
                .exchanged
        else {
            return false
        }
        LoggingSystem.bootstrap(
            { label, provider in
                Self.makeHandler(label: label, json: json, level: level, metadataProvider: provider)
            },
            metadataProvider: metadataProvider
        )
        return true
    }

    /// The handler ``bootstrap(json:level:)`` installs, writing to `output`; tests use it directly.
    public static func makeHandler(
        label: String,
        json: Bool,
        level: Logger.Level,
        output: LogOutput = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil
    ) -> any LogHandler {
        if json {
            var handler = RedactingLogHandler(
                wrapping: JSONLogHandler(label: label, output: output, metadataProvider: metadataProvider),
                escapesLineBreaks: false  // JSON strings escape control characters themselves
            )
            handler.logLevel = level
            return handler
        } else {
            var handler = RedactingLogHandler(
                wrapping: StreamLogHandler(label: label, stream: output, metadataProvider: metadataProvider),
                escapesLineBreaks: true
            )
            handler.logLevel = level
            return handler
        }
    }
}
