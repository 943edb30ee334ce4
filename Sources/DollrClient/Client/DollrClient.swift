public import AsyncHTTPClient
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The Dollr API client: the six payout calls, one shared token, typed failures.
///
/// Safe to share across tasks. Every call holds one of ``DollrConfiguration/maxConcurrentRequests`` permits while it
/// runs, attaches the process's one token (refreshed before it runs out, or once after a 401), and waits out 429s
/// as ``RateLimitRetryPolicy`` says. Call ``shutdown()`` when done.
public final class DollrClient: Sendable {
    public let configuration: DollrConfiguration
    private let httpClient: HTTPClient
    private let ownsHTTPClient: Bool
    private let transport: DollrTransport
    private let tokens: TokenManager
    private let permits: AsyncSemaphore
    private let logger: Logger

    /// Creates a client. Without `httpClient` it creates and owns one, sized and timed from `configuration`;
    /// a given `httpClient` is used as is and left running by ``shutdown()``.
    public convenience init(configuration: DollrConfiguration, httpClient: HTTPClient? = nil, logger: Logger) {
        self.init(configuration: configuration, httpClient: httpClient, logger: logger, now: { .now })
    }

    /// `now` lets tests move the token clock; production uses the monotonic clock.
    init(
        configuration: DollrConfiguration,
        httpClient: HTTPClient?,
        logger: Logger,
        now: @escaping @Sendable () -> ContinuousClock.Instant
    ) {
        self.configuration = configuration
        self.logger = logger
        if let httpClient {
            self.httpClient = httpClient
            self.ownsHTTPClient = false
        } else {
            var httpConfiguration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(
                    connect: TimeAmount(configuration.connectTimeout),
                    read: TimeAmount(configuration.requestTimeout)
                )
            )
            httpConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit =
                configuration.maxConcurrentRequests
            // The transport makes each call's client span itself, named by its route
            // (`GET /v1/status/payout/{reference_id}`); the client's own would only repeat it.
            httpConfiguration.tracing.tracer = nil
            self.httpClient = HTTPClient(
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                configuration: httpConfiguration
            )
            self.ownsHTTPClient = true
        }
        let transport = DollrTransport(
            httpClient: self.httpClient,
            baseURL: configuration.baseURL,
            requestTimeout: configuration.requestTimeout,
            userAgent: configuration.device.userAgent,
            logger: logger
        )
        self.transport = transport
        self.permits = AsyncSemaphore(permits: max(configuration.maxConcurrentRequests, 1))
        let credentials = configuration.credentials
        let retryPolicy = configuration.rateLimitRetry
        self.tokens = TokenManager(margin: configuration.tokenRefreshMargin, now: now) {
            await Self.obtainToken(
                credentials: credentials,
                transport: transport,
                retryPolicy: retryPolicy,
                logger: logger
            )
        }
    }

    /// Shuts down the HTTP client if this client created it.
    public func shutdown() async throws {
        if self.ownsHTTPClient {
            try await self.httpClient.shutdown()
        }
    }

    /// What the client has done so far.
    public var statistics: DollrClientStatistics {
        self.transport.statistics.withLock { $0 }
    }

    // MARK: - Calling

    /// Runs one authenticated call and returns its 2xx JSON object. Nothing is sent, and no 429
    /// wait is started, past one request timeout from the call's start: a 429 whose wait would end
    /// later is returned, and a request whose time ran out before it was sent ends `.cancelled`.
    /// Waiting for a permit or a token fetch is not cut short (each token fetch has its own
    /// timeout), so a caller that holds a lease sized for one call (the payout engine) keeps its
    /// in-flight limit within the client's concurrency limit.
    func call(_ request: DollrRequest) async throws(DollrError) -> JSONObject {
        let deadline = NIODeadline.now() + self.transport.requestTimeout
        do {
            try await self.permits.acquire()
        } catch {
            throw .cancelled
        }
        defer { self.permits.release() }
        var token = try await self.tokens.token()
        var retriedAfterUnauthorized = false
        var response: DollrResponse
        while true {
            response = try await Self.sendHonouringRateLimits(
                request,
                token: token.value,
                deadline: deadline,
                transport: self.transport,
                retryPolicy: self.configuration.rateLimitRetry,
                logger: self.logger
            )
            guard response.status == 401, !retriedAfterUnauthorized else { break }
            retriedAfterUnauthorized = true
            self.transport.statistics.withLock { $0.unauthorizedRetries += 1 }
            self.logger.debug("dollr token refused; refreshing once", metadata: ["dollr.path": "\(request.path)"])
            token = try await self.tokens.replace(token)
        }
        return try Self.successObject(response, request: request)
    }

    /// Sends, and on 429 sleeps and resends up to the policy's limit; a 429 means nothing was processed.
    private static func sendHonouringRateLimits(
        _ request: DollrRequest,
        token: Secret<String>?,
        deadline: NIODeadline,
        transport: DollrTransport,
        retryPolicy: RateLimitRetryPolicy,
        logger: Logger
    ) async throws(DollrError) -> DollrResponse {
        var retries = 0
        while true {
            // Out of time before sending (a slow token fetch, a long wait): nothing was sent.
            guard NIODeadline.now() < deadline else { throw .cancelled }
            let response = try await transport.send(request, token: token, deadline: deadline)
            guard response.status == 429 else { return response }
            let delay = retryPolicy.delay(retryAfter: response.retryAfter, attempt: retries + 1)
            guard retries < retryPolicy.maxRetries, NIODeadline.now() + TimeAmount(delay) < deadline else {
                throw .rateLimited(retryAfter: response.retryAfter ?? retryPolicy.baseDelay)
            }
            retries += 1
            transport.statistics.withLock { $0.rateLimitedRetries += 1 }
            logger.debug(
                "dollr rate limited; waiting",
                metadata: ["dollr.path": "\(request.path)", "dollr.delay": "\(delay)", "dollr.retry": "\(retries)"]
            )
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw .cancelled
            }
        }
    }

    private static func obtainToken(
        credentials: MerchantCredentials,
        transport: DollrTransport,
        retryPolicy: RateLimitRetryPolicy,
        logger: Logger
    ) async -> Result<(Secret<String>, minutes: Int), DollrError> {
        let request = DollrRequest(
            method: .POST,
            path: "/v1/jwt/client/obtain/token",
            body: [
                "client_id": .string(credentials.clientID),
                "client_secret": .string(credentials.clientSecret.revealed),
            ],
            authenticated: false
        )
        do throws(DollrError) {
            // One request timeout for the fetch, 429 waits included, like any call.
            let response = try await Self.sendHonouringRateLimits(
                request,
                token: nil,
                deadline: .now() + transport.requestTimeout,
                transport: transport,
                retryPolicy: retryPolicy,
                logger: logger
            )
            let object = try Self.successObject(response, request: request)
            let token: String
            let minutes: Int
            do throws(JSONShapeError) {
                token = try object.string("access_token")
                minutes = try object.integer("expires_in")
            } catch {
                throw .invalidResponse("token response: \(error)")
            }
            guard minutes > 0, !token.isEmpty else {
                throw .invalidResponse("token response: empty token or non-positive expires_in")
            }
            transport.statistics.withLock { $0.tokenRefreshes += 1 }
            logger.debug("dollr token obtained", metadata: ["dollr.expires_in_minutes": "\(minutes)"])
            return .success((Secret(token), minutes))
        } catch {
            logger.debug("dollr token call failed", metadata: ["dollr.error": "\(error)"])
            return .failure(error)
        }
    }

    /// The JSON object of a 2xx, or the ``DollrError`` its status means.
    private static func successObject(
        _ response: DollrResponse,
        request: DollrRequest
    ) throws(DollrError)
        -> JSONObject
    {
        guard (200..<300).contains(response.status) else {
            throw ResponseStatusMapper.error(
                for: response,
                isIdempotent: request.isIdempotent,
                isExecute: request.path == DollrRequest.executePath
            )
        }
        do {
            guard case .object(let object) = try JSONParser.parse(response.body) else {
                throw DollrError.invalidResponse("\(request.path): body is not a JSON object")
            }
            return object
        } catch let error as DollrError {
            throw error
        } catch {
            throw .invalidResponse("\(request.path): \(error)")
        }
    }
}
