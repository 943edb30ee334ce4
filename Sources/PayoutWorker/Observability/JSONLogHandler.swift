import DollrClient
public import Logging

/// One JSON object per line: `time` (RFC 3339, UTC, milliseconds), `level`, `label`, `message`, then the metadata
/// flattened (`{"kafka":{"partition":3}}` becomes `"kafka.partition":"3"`), keys sorted.
///
/// It formats only; ``WorkerLogging`` wraps it in ``RedactingLogHandler`` so what reaches it is already masked.
/// Metadata keys that would collide with the four fixed fields are prefixed with `metadata.`.
public struct JSONLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private var output: LogOutput

    static let fixedFields: Set<String> = ["time", "level", "label", "message"]

    public init(label: String, output: LogOutput = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = LogEventMetadata.merged(self.metadata, provider: self.metadataProvider, event: event)
        var output = self.output
        output.write(
            Self.line(
                time: LogTimestamp.now(),
                level: event.level,
                label: self.label,
                message: event.message.description,
                metadata: merged
            )
        )
    }

    /// The whole line, newline included.
    static func line(
        time: String,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata
    ) -> String {
        var object: JSONObject = [
            "time": .string(time), "level": .string(level.rawValue), "label": .string(label),
            "message": .string(message),
        ]
        var flat: [(String, JSONValue)] = []
        for (key, value) in metadata {
            Self.flatten(value, key: key, into: &flat)
        }
        for (key, value) in flat.sorted(by: { $0.0 < $1.0 }) {
            object[Self.fixedFields.contains(key) ? "metadata." + key : key] = value
        }
        return JSONWriter.serialize(object) + "\n"
    }

    private static func flatten(_ value: Logger.MetadataValue, key: String, into flat: inout [(String, JSONValue)]) {
        switch value {
        case .dictionary(let nested):
            for (child, childValue) in nested {
                Self.flatten(childValue, key: key + "." + child, into: &flat)
            }
        default:
            flat.append((key, Self.json(value)))
        }
    }

    /// Arrays stay arrays (of strings or objects); everything else is a string, as swift-log renders it.
    private static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let elements): .array(elements.map(Self.json))
        case .dictionary(let nested):
            .object(
                nested.sorted { $0.key < $1.key }.reduce(into: JSONObject()) { object, member in
                    object[member.key] = Self.json(member.value)
                }
            )
        }
    }
}
