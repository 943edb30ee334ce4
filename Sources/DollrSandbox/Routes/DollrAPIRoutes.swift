import DollrClient
import Hummingbird

/// The Dollr API as the sandbox serves it. Every route passes through ``guarded(_:authenticated:_:)``: faults first
/// (they model the network and Dollr's edge), then the bearer token, then merchant verification.
struct DollrAPIRoutes: Sendable {
    let sandbox: Sandbox

    func register(on routes: RouteTable) {
        routes.post("/v1/jwt/client/obtain/token") { request, _ in
            try await self.guarded(request, authenticated: false) { try await self.obtainToken(request) }
        }
        routes.post("/v1/payment-accounts/create") { request, _ in
            try await self.guarded(request) { try await self.createPaymentAccount(request) }
        }
        routes.post("/v1/sessions/payout") { request, _ in
            try await self.guarded(request) { try await self.createSession(request) }
        }
        routes.post("/v1/executions/payout") { request, _ in
            try await self.guarded(request) { try await self.execute(request) }
        }
        routes.get("/v1/status/payout/:reference_id") { request, context in
            try await self.guarded(request) { self.status(context.parameters.get("reference_id") ?? "") }
        }
        routes.get("/v1/predictions/amount-and-fees") { request, _ in
            try await self.guarded(request) { self.predictAmountAndFees(request) }
        }
        routes.get("/v1/predictions/mmo-provider-info") { request, _ in
            try await self.guarded(request) { self.lookupProvider(request) }
        }
    }

    private func guarded(
        _ request: Request,
        authenticated: Bool = true,
        _ handler: () async throws -> Response
    ) async throws -> Response {
        self.sandbox.count { $0.requests += 1 }
        await self.sandbox.pauseGate.pass()
        let (latency, decision) = self.sandbox.faults.decide()
        if latency > .zero { try await Task.sleep(for: latency) }
        switch decision {
        case .proceed:
            break
        case .rateLimited(let seconds):
            self.sandbox.count { $0.rateLimited += 1 }
            return SandboxResponse.detail(429, "Too Many Requests", headers: [.retryAfter: String(seconds)])
        case .serverError(let status):
            self.sandbox.count { $0.serverErrors += 1 }
            return SandboxResponse.detail(status, "Internal Server Error")
        case .hang(let duration):
            self.sandbox.count { $0.hangs += 1 }
            try await Task.sleep(for: duration)
            return SandboxResponse.detail(504, "Gateway Timeout")
        }
        if authenticated {
            // A forced 401 is drawn only here, so it strikes calls that carry a token, as a refused token would.
            guard !self.sandbox.faults.takeForcedUnauthorized(), self.isAuthorised(request) else {
                self.sandbox.count { $0.unauthorized += 1 }
                return SandboxResponse.detail(401, SandboxResponse.unauthorized, headers: [.wwwAuthenticate: "Bearer"])
            }
            guard self.sandbox.merchantVerified else {
                self.sandbox.count { $0.forbidden += 1 }
                return SandboxResponse.detail(403, "Merchant account is not fully verified")
            }
        }
        let response = try await handler()
        if response.status.code == 422 { self.sandbox.count { $0.validationErrors += 1 } }
        return response
    }

    private func isAuthorised(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        return self.sandbox.tokens.isValid(header.dropFirst("Bearer ".count), now: self.sandbox.clock.now())
    }
}
