import DollrClient
import Hummingbird

/// The bodies the admin server answers with.
enum AdminResponses {
    /// Prometheus' text exposition format, version 0.0.4.
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    static func liveness() -> Response {
        self.json(.ok, ["status": .string("ok")])
    }

    /// `{"status":"ready"|"degraded"|"not_ready","checks":{"store":{"status":"ok"},...}}`, 200 only when ready.
    static func readiness(_ report: ReadinessReport) -> Response {
        var checks = JSONObject()
        for (name, result) in report.checks.sorted(by: { $0.key < $1.key }) {
            var check: JSONObject = ["status": .string(result.status)]
            // A check's message may quote an error; it is masked like a log line.
            if let message = result.message { check["message"] = .string(LogRedaction.redact(message)) }
            checks[name] = .object(check)
        }
        return self.json(
            report.isReady ? .ok : .serviceUnavailable,
            ["status": .string(report.status.rawValue), "checks": .object(checks)]
        )
    }

    static func metrics(_ text: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: self.metricsContentType, .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }

    private static func json(_ status: HTTPResponse.Status, _ object: JSONObject) -> Response {
        Response(
            status: status,
            // Probes must see the state now, never a cached answer.
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: JSONWriter.serialize(object) + "\n"))
        )
    }
}
