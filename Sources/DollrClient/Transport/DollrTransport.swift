import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Tracing

import struct Foundation.URL

/// Sends one request and returns one complete response, or a ``DollrError`` that says whether the request may have
/// been sent. Knows nothing about tokens or retries.
final class DollrTransport: Sendable {
    private let httpClient: HTTPClient
    private let baseURL: String
    let requestTimeout: TimeAmount
    private let logger: Logger
    private let userAgent: String
    private let serverAddress: String
    private let serverPort: Int
    let statistics: Mutex<DollrClientStatistics>

    /// Largest response body we read; Dollr's bodies are a few hundred bytes.
    private static let maximumBodyBytes = 1 << 20

    init(httpClient: HTTPClient, baseURL: URL, requestTimeout: Duration, userAgent: String, logger: Logger) {
        self.httpClient = httpClient
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.serverAddress = baseURL.host ?? ""
        self.serverPort = baseURL.port ?? (baseURL.scheme == "https" ? 443 : 80)
        self.requestTimeout = TimeAmount(requestTimeout)
        self.userAgent = userAgent
        self.logger = logger
        self.statistics = Mutex(DollrClientStatistics())
    }

    /// Sends one request; it is given up after the request timeout, or at `deadline` if sooner.
    func send(
        _ request: DollrRequest,
        token: Secret<String>?,
        deadline: NIODeadline
    ) async throws(DollrError) -> DollrResponse {
        // A client span (HTTP semantic conventions) in the caller's trace, whose context Dollr gets
        // as `traceparent`. Never the query in an attribute: one of Dollr's carries a phone number.
        let span = InstrumentationSystem.tracer.startSpan(
            "\(request.method.rawValue) \(request.route ?? request.path)",
            context: ServiceContext.current ?? .topLevel,
            ofKind: .client
        )
        defer { span.end() }
        span.attributes["http.request.method"] = request.method.rawValue
        span.attributes["url.full"] = self.baseURL + request.path
        span.attributes["server.address"] = self.serverAddress
        span.attributes["server.port"] = self.serverPort
        var httpRequest = HTTPClientRequest(url: self.url(for: request))
        InstrumentationSystem.instrument.inject(span.context, into: &httpRequest.headers, using: HTTPHeadersInjector())
        httpRequest.method = request.method
        httpRequest.headers.add(name: "Accept", value: "application/json")
        httpRequest.headers.add(name: "User-Agent", value: self.userAgent)
        if let token {
            httpRequest.headers.add(name: "Authorization", value: "Bearer \(token.revealed)")
        }
        if let body = request.body {
            httpRequest.headers.add(name: "Content-Type", value: "application/json")
            httpRequest.body = .bytes(ByteBuffer(string: JSONWriter.serialize(body)))
        }
        self.statistics.withLock { $0.requestsSent += 1 }
        self.logger.trace(
            "dollr request",
            metadata: ["dollr.method": "\(request.method.rawValue)", "dollr.path": "\(request.path)"]
        )
        do {
            let response = try await self.httpClient.execute(
                httpRequest,
                deadline: min(.now() + self.requestTimeout, deadline),
                logger: nil
            )
            var body = try await response.body.collect(upTo: Self.maximumBodyBytes)
            let status = Int(response.status.code)
            span.attributes["http.response.status_code"] = status
            if status >= 400 {
                span.attributes["error.type"] = String(status)
                span.setStatus(SpanStatus(code: .error))
            }
            self.logger.debug(
                "dollr response",
                metadata: [
                    "dollr.method": "\(request.method.rawValue)", "dollr.path": "\(request.path)",
                    "dollr.status": "\(status)",
                ]
            )
            return DollrResponse(
                status: status,
                retryAfter: response.headers.first(name: "Retry-After").flatMap(Self.parseRetryAfter),
                body: body.readBytes(length: body.readableBytes) ?? []
            )
        } catch {
            let classified = HTTPErrorClassifier.classify(error)
            span.attributes["error.type"] = classified.kind
            span.setStatus(SpanStatus(code: .error))
            self.logger.debug(
                "dollr request failed",
                metadata: [
                    "dollr.method": "\(request.method.rawValue)", "dollr.path": "\(request.path)",
                    "dollr.error": "\(classified)",
                ]
            )
            throw classified
        }
    }

    private func url(for request: DollrRequest) -> String {
        guard !request.query.isEmpty else { return self.baseURL + request.path }
        let query = request.query.map { "\(Self.percentEncode($0.0))=\(Self.percentEncode($0.1))" }
        return self.baseURL + request.path + "?" + query.joined(separator: "&")
    }

    /// RFC 3986 unreserved characters stay, everything else is percent-encoded.
    static func percentEncode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return encoded
    }

    /// `Retry-After` in delta-seconds; the HTTP-date form is not used by FastAPI apps and falls back to back-off.
    static func parseRetryAfter(_ value: String) -> Duration? {
        guard let seconds = Int(value.trimmingASCIISpaces()), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension String {
    fileprivate func trimmingASCIISpaces() -> Substring {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}

/// Puts the trace context into a request's headers (`traceparent`, `tracestate`).
private struct HTTPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: key, value: value)
    }
}
