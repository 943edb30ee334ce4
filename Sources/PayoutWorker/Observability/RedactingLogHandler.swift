public import Logging

/// Wraps a handler so that nothing reaches it unmasked: the message, the handler's own metadata, the metadata
/// provider's and the call's, and the error, all pass through ``LogRedaction`` first.
///
/// The wrapper owns the metadata and the metadata provider instead of forwarding them, because the wrapped handler
/// would merge them after redaction. With `escapesLineBreaks` (the text format), CR and LF in the message and metadata
/// are written as `\r` and `\n`, so a value cannot forge a log line.
public struct RedactingLogHandler<Wrapped: LogHandler>: LogHandler {
    private var wrapped: Wrapped
    private let escapesLineBreaks: Bool
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(wrapping wrapped: Wrapped, escapesLineBreaks: Bool) {
        var wrapped = wrapped
        self.metadata = wrapped.metadata
        self.metadataProvider = wrapped.metadataProvider
        wrapped.metadata = [:]
        wrapped.metadataProvider = nil
        self.wrapped = wrapped
        self.escapesLineBreaks = escapesLineBreaks
    }

    public var logLevel: Logger.Level {
        get { self.wrapped.logLevel }
        set { self.wrapped.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // An error's description may quote what it failed on; it goes through the same masking as metadata.
        let merged = LogEventMetadata.merged(self.metadata, provider: self.metadataProvider, event: event)
        var redacted = event
        redacted.error = nil
        redacted.message = "\(self.escaped(LogRedaction.redact(event.message.description)))"
        let masked = LogRedaction.redact(merged)
        redacted.metadata = self.escapesLineBreaks ? masked.mapValues(Self.escaped) : masked
        self.wrapped.log(event: redacted)
    }

    private func escaped(_ text: String) -> String {
        self.escapesLineBreaks ? Self.escaped(text) : text
    }

    static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for character in text.unicodeScalars {
            switch character {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }

    static func escaped(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): .string(Self.escaped(text))
        case .stringConvertible(let convertible): .string(Self.escaped(convertible.description))
        case .dictionary(let nested): .dictionary(nested.mapValues(Self.escaped))
        case .array(let elements): .array(elements.map(Self.escaped))
        }
    }
}
