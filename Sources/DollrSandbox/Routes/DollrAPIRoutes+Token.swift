import DollrClient
import Hummingbird

extension DollrAPIRoutes {
    /// `POST /v1/jwt/client/obtain/token`: `{"client_id","client_secret"}` -> `{"access_token","expires_in"}`,
    /// `expires_in` in minutes.
    func obtainToken(_ request: Request) async throws -> Response {
        let body: JSONObject
        switch try await RequestBodyReader.object(request) {
        case .success(let object): body = object
        case .failure(let error): return SandboxResponse.validation(error.issues)
        }
        var fields = FieldValidator(body, loc: ["body"])
        let clientID = fields.string("client_id")
        let clientSecret = fields.string("client_secret")
        guard let clientID, let clientSecret else { return SandboxResponse.validation(fields.issues, body: body) }
        let merchant = self.sandbox.configuration.merchant
        guard clientID == merchant.clientID, clientSecret == merchant.clientSecret.revealed else {
            self.sandbox.count { $0.unauthorized += 1 }
            return SandboxResponse.detail(401, SandboxResponse.unauthorized, headers: [.wwwAuthenticate: "Bearer"])
        }
        let minutes = self.sandbox.configuration.tokenLifetimeMinutes
        let token = self.sandbox.tokens.issue(lifetime: .seconds(minutes * 60), now: self.sandbox.clock.now())
        self.sandbox.logger.debug("sandbox issued a token", metadata: ["expires_in_minutes": "\(minutes)"])
        return SandboxResponse.json(
            200,
            ["access_token": .string(token), "token_type": .string("bearer"), "expires_in": .integer(minutes)]
        )
    }
}
