public import Tracing

/// A payout's trace context as text: W3C `traceparent` and `tracestate`, kept in its state and
/// events, and turned back into a `ServiceContext` for its spans. With no tracer bootstrapped
/// nothing is extracted or injected, and the text upstream sent is passed on as it came.
public enum PayoutTrace {
    /// The context a payout's spans start from.
    public static func context(traceParent: String?, traceState: String? = nil) -> ServiceContext {
        var context = ServiceContext.topLevel
        guard let traceParent else { return context }
        var carrier = ["traceparent": traceParent]
        if let traceState { carrier["tracestate"] = traceState }
        InstrumentationSystem.instrument.extract(carrier, into: &context, using: DictionaryCarrier())
        return context
    }

    /// The text of `context`, or nil when no tracer put a trace into it.
    static func text(of context: ServiceContext) -> (parent: String, state: String?)? {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryCarrier())
        guard let parent = carrier["traceparent"], isTraceParent(parent) else { return nil }
        return (parent, carrier["tracestate"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// `00-<32 hex>-<16 hex>-<2 hex>`, not all-zero ids: what W3C Trace Context version 00 allows.
    static func isTraceParent(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", parts[1].count == 32, parts[2].count == 16, parts[3].count == 2 else {
            return false
        }
        let hex = { (part: Substring) in part.allSatisfy { $0.isHexDigit && !$0.isUppercase } }
        return parts.allSatisfy(hex) && parts[1].contains { $0 != "0" } && parts[2].contains { $0 != "0" }
    }

    /// A `[String: String]` as the instrument's carrier.
    struct DictionaryCarrier: Extractor, Injector {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    }
}
