import DollrClient
import Hummingbird

extension DollrAPIRoutes {
    /// `POST /v1/payment-accounts/create?operation_type=PAYOUT`.
    func createPaymentAccount(_ request: Request) async throws -> Response {
        var query = FieldValidator([:], loc: ["query"])
        if let operationType = request.uri.queryParameters["operation_type"].map(String.init) {
            if operationType != OperationType.payout.rawValue {
                query.fail("operation_type", "Input should be 'PAYOUT'", "enum")
            }
        } else {
            query.fail("operation_type", "Field required", "missing")
        }
        let body: JSONObject
        switch try await RequestBodyReader.object(request) {
        case .success(let object): body = object
        case .failure(let error): return SandboxResponse.validation(query.issues + error.issues)
        }
        var fields = FieldValidator(body, loc: ["body"])
        let accountName = fields.string("account_name", nonEmpty: true)
        let provider = fields.choice("provider", PaymentProvider.documented.map(\.rawValue))
        let method = fields.choice("method", PaymentMethod.documented.map(\.rawValue))
        let partyID = fields.integer("party_id")
        let countryCode = fields.optionalString("country_code")
        var accountNumber: PhoneNumber?
        if let text = fields.optionalString("insensitive_account_number") {
            do {
                accountNumber = try PhoneNumber(text)
            } catch {
                fields.fail("insensitive_account_number", "Value error, \(error.description)", "value_error")
            }
        }
        query.absorb(fields)
        guard query.issues.isEmpty, let accountName, let provider, let method, let partyID else {
            return SandboxResponse.validation(query.issues, body: body)
        }
        let now = self.sandbox.clock.now()
        let account = self.sandbox.ledger.createAccount { id in
            AccountRecord(
                id: id,
                accountName: accountName,
                provider: provider,
                method: method,
                partyID: partyID,
                countryCode: countryCode,
                accountNumber: accountNumber,
                createdAt: now
            )
        }
        return SandboxResponse.json(201, self.sandbox.render(account))
    }
}
