public import struct Foundation.URL

/// Everything the client needs to talk to Dollr.
public struct DollrConfiguration: Sendable {
    /// `https://api.heydollr.app` in production; paths (`/v1/...`) are appended to it.
    public var baseURL: URL
    public var credentials: MerchantCredentials
    /// Sent in every passcode object.
    public var device: DeviceInfo
    /// Time allowed to establish a connection.
    public var connectTimeout: Duration
    /// Time allowed for one call, from sending to the last byte of the response.
    public var requestTimeout: Duration
    /// Calls in flight at once; further callers wait their turn.
    public var maxConcurrentRequests: Int
    public var rateLimitRetry: RateLimitRetryPolicy
    /// Refresh the token when less than this remains (Dollr asks for 5 minutes). Never more than half the token's
    /// lifetime, so that a short-lived token is not refreshed on every call: the effective margin is
    /// `min(tokenRefreshMargin, lifetime / 2)`, a deliberate choice that differs from Dollr's rule only for tokens
    /// shorter than 10 minutes (see `AccessToken.needsRefresh`).
    public var tokenRefreshMargin: Duration

    public init(
        baseURL: URL,
        credentials: MerchantCredentials,
        device: DeviceInfo = DeviceInfo(),
        connectTimeout: Duration = .seconds(5),
        requestTimeout: Duration = .seconds(30),
        maxConcurrentRequests: Int = 32,
        rateLimitRetry: RateLimitRetryPolicy = RateLimitRetryPolicy(),
        tokenRefreshMargin: Duration = .seconds(300)
    ) {
        self.baseURL = baseURL
        self.credentials = credentials
        self.device = device
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxConcurrentRequests = maxConcurrentRequests
        self.rateLimitRetry = rateLimitRetry
        self.tokenRefreshMargin = tokenRefreshMargin
    }

    /// Dollr's production API.
    public static let productionBaseURL = URL(string: "https://api.heydollr.app")!
}
