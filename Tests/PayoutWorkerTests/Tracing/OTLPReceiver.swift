import Foundation
import TestSupport

/// scripts/otlp-receiver as a child: an OTLP/HTTP endpoint that decodes what swift-otel exports
/// with OpenTelemetry's own protobuf classes and hands each span over as JSON.
struct OTLPReceiver {
    struct Span: Sendable {
        var traceID: String
        var spanID: String
        var parentSpanID: String
        var name: String
        /// OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
        var kind: Int
        /// OTLP's status code: 0 unset, 1 ok, 2 error.
        var status: Int
        var attributes: [String: String]
        var links: [(traceID: String, spanID: String)]
        var resource: [String: String]
    }

    let process: ChildProcess
    let port: Int

    static func start() async throws -> OTLPReceiver {
        let script = Repository.path("scripts/otlp-receiver")
        let process = try ChildProcess(URL(fileURLWithPath: script), arguments: ["0"])
        let first = try await process.firstLine(within: .seconds(60))
        guard first.hasPrefix("listening "), let port = Int(first.dropFirst("listening ".count)) else {
            throw FixtureFailure("otlp-receiver did not start: \(first) \(process.stderr.suffix(2000))")
        }
        return OTLPReceiver(process: process, port: port)
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Every span received so far.
    var spans: [Span] {
        process.stdoutLines.elements.dropFirst().compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            let text = { (name: String) in (object[name] as? [String: Any] ?? [:]).mapValues { "\($0)" } }
            return Span(
                traceID: object["trace_id"] as? String ?? "",
                spanID: object["span_id"] as? String ?? "",
                parentSpanID: object["parent_span_id"] as? String ?? "",
                name: object["name"] as? String ?? "",
                kind: object["kind"] as? Int ?? 0,
                status: object["status"] as? Int ?? 0,
                attributes: text("attributes"),
                links: (object["links"] as? [[String: String]] ?? []).map {
                    ($0["trace_id"] ?? "", $0["span_id"] ?? "")
                },
                resource: text("resource")
            )
        }
    }

    func stop() async {
        process.signal(SIGTERM)
        _ = try? await process.waitForExit(within: .seconds(30))
    }
}
