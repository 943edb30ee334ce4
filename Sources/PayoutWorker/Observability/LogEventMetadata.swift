import Logging

/// The metadata of one log event as every handler of ours sees it: the handler's own, then the
/// metadata provider's, then the event's (later wins), plus the error's message and type.
enum LogEventMetadata {
    static func merged(_ base: Logger.Metadata, provider: Logger.MetadataProvider?, event: LogEvent) -> Logger.Metadata
    {
        var merged = base
        if let provided = provider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return merged
    }
}
