import Foundation
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// OpenTelemetry tracing for `payout-worker run`: off unless an OTLP endpoint is given through the
/// standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`);
/// `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true` keep it off. Everything else
/// (`OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, the protocol, headers, batching) is read by
/// swift-otel as the OpenTelemetry specification says. Spans are exported over OTLP/HTTP.
enum WorkerTracing {
    static func isEnabled(_ environment: [String: String]) -> Bool {
        let endpoint = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"].contains {
            !(environment[$0] ?? "").isEmpty
        }
        return endpoint && environment["OTEL_TRACES_EXPORTER"]?.lowercased() != "none"
            && environment["OTEL_SDK_DISABLED"]?.lowercased() != "true"
    }

    /// What logging adds to every line while tracing is on: the current `trace_id` and `span_id`.
    static func logMetadataProvider(_ environment: [String: String]) -> Logger.MetadataProvider? {
        guard isEnabled(environment) else { return nil }
        var configuration = OTel.Configuration.LoggingMetadataProviderConfiguration.default
        configuration.traceIDKey = "trace_id"
        configuration.spanIDKey = "span_id"
        configuration.traceFlagsKey = "trace_flags"
        return OTel.makeLoggingMetadataProvider(configuration: configuration)
    }

    /// Bootstraps the tracer and returns the exporter's service, or nil when tracing is off.
    static func bootstrap(_ environment: [String: String]) throws -> (any Service)? {
        guard isEnabled(environment) else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "payout-worker"  // OTEL_SERVICE_NAME overrides it
        configuration.logs.enabled = false
        configuration.metrics.enabled = false  // metrics are Prometheus's, on /metrics
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        let (tracer, service) = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(tracer)
        return service
    }
}
