import DollrClient
import Hummingbird

import struct Foundation.UUID

extension DollrAPIRoutes {
    /// `POST /v1/executions/payout`: `session_id` string, `payout_account_id` string, `reference_id` UUID v4,
    /// `passcode` object. Duplicate references, sessions and passcodes give FastAPI-style 422s whose `type`/`loc`
    /// the client maps (see `ValidationClassifier`).
    func execute(_ request: Request) async throws -> Response {
        let body: JSONObject
        switch try await RequestBodyReader.object(request) {
        case .success(let object): body = object
        case .failure(let error): return SandboxResponse.validation(error.issues)
        }
        var fields = FieldValidator(body, loc: ["body"])
        let sessionID = fields.string("session_id")
        let accountID = fields.string("payout_account_id")
        var referenceID: String?
        if let text = fields.string("reference_id") {
            referenceID = Self.uuid4(text, loc: "reference_id", fields: &fields)
        }
        var passcodeIssues: [ValidationIssue] = []
        if let passcode = fields.object("passcode") {
            passcodeIssues = self.checkPasscode(passcode, fields: &fields)
        }
        guard fields.issues.isEmpty, let sessionID, let accountID, let referenceID else {
            return SandboxResponse.validation(fields.issues, body: body)
        }
        let fate = self.sandbox.faults.executionFate()
        let now = self.sandbox.clock.now()
        let outcome = self.sandbox.ledger.execute(
            .init(
                referenceID: referenceID,
                sessionID: sessionID,
                payoutAccountID: accountID,
                passcodeIssues: passcodeIssues
            ),
            now: now,
            fate: fate
        )
        switch outcome {
        case .rejected(let issues, let duplicate):
            self.sandbox.logger.debug(
                "sandbox rejected an execute",
                metadata: ["reference_id": "\(referenceID)", "duplicate": "\(duplicate)"]
            )
            return SandboxResponse.validation(issues, body: body)
        case .accepted(let record):
            self.sandbox.logger.debug("sandbox accepted an execute", metadata: ["reference_id": "\(referenceID)"])
            if let lost = fate.lostResponse {
                self.sandbox.count { $0.lostResponses += 1 }
                try await Task.sleep(for: lost)
                return Self.droppedConnection
            }
            if let status = fate.serverErrorAfterAccept {
                // Accepted and recorded above; only the answer says otherwise.
                self.sandbox.count {
                    $0.serverErrors += 1
                    $0.serverErrorsAfterAccept += 1
                }
                self.sandbox.logger.debug(
                    "sandbox answers an accepted execute with a server error",
                    metadata: ["reference_id": "\(referenceID)", "status": "\(status)"]
                )
                return SandboxResponse.detail(status, "Internal Server Error")
            }
            return SandboxResponse.json(201, self.sandbox.render(record, now: now))
        }
    }

    /// Structure errors go to `fields`; a wrong code, phone or user id is returned separately, because the ledger
    /// counts such an attempt against its reference.
    private func checkPasscode(_ passcode: JSONObject, fields: inout FieldValidator) -> [ValidationIssue] {
        var passcodeFields = FieldValidator(passcode, loc: ["body", "passcode"])
        var rejections: [ValidationIssue] = []
        if let token = passcodeFields.object("token") {
            var tokenFields = FieldValidator(token, loc: ["body", "passcode", "token"])
            let code = tokenFields.string("code")
            let phone = tokenFields.optionalString("phone")
            let userID = tokenFields.optionalString("user_id")
            if phone == nil, userID == nil {
                tokenFields.fail(nil, "Value error, one of phone or user_id is required", "value_error")
            }
            passcodeFields.absorb(tokenFields)
            let merchant = self.sandbox.configuration.merchant
            let loc = ["body", "passcode", "token"]
            if let code, code != merchant.passcode.revealed {
                rejections.append(
                    ValidationIssue(loc: loc + ["code"], msg: "Invalid passcode", type: "value_error.passcode")
                )
            }
            if let phone, phone != merchant.passcodePhone.revealed {
                rejections.append(
                    ValidationIssue(
                        loc: loc + ["phone"],
                        msg: "Passcode is not registered to this phone",
                        type: "value_error.passcode"
                    )
                )
            }
            if phone == nil, let userID, userID != self.sandbox.configuration.passcodeUserID {
                rejections.append(
                    ValidationIssue(
                        loc: loc + ["user_id"],
                        msg: "Passcode is not registered to this user",
                        type: "value_error.passcode"
                    )
                )
            }
        }
        if let device = passcodeFields.object("device") {
            var deviceFields = FieldValidator(device, loc: ["body", "passcode", "device"])
            _ = deviceFields.string("name")
            _ = deviceFields.choice("type", ["SERVER", "MOBILE", "WEB"])
            _ = deviceFields.string("platform")
            _ = deviceFields.string("user_agent")
            _ = deviceFields.string("client_ip")
            passcodeFields.absorb(deviceFields)
        }
        fields.absorb(passcodeFields)
        return rejections
    }

    /// `GET /v1/status/payout/{reference_id}`: 404 when no execution with that reference was accepted.
    func status(_ text: String) -> Response {
        var fields = FieldValidator([:], loc: ["path"])
        guard let referenceID = Self.uuid4(text, loc: "reference_id", fields: &fields) else {
            return SandboxResponse.validation(fields.issues)
        }
        let now = self.sandbox.clock.now()
        guard let record = self.sandbox.ledger.execution(referenceID, now: now) else {
            return SandboxResponse.detail(404, "Execution not found")
        }
        return SandboxResponse.json(200, self.sandbox.render(record, now: now))
    }

    /// The canonical lower-case form of a version 4 UUID, or an issue in pydantic's words.
    static func uuid4(_ text: String, loc: String, fields: inout FieldValidator) -> String? {
        guard let uuid = UUID(uuidString: text) else {
            fields.fail(loc, "Input should be a valid UUID, unable to parse string as an UUID", "uuid_parsing")
            return nil
        }
        let canonical = uuid.uuidString.lowercased()
        guard canonical[canonical.index(canonical.startIndex, offsetBy: 14)] == "4" else {
            fields.fail(loc, "UUID version 4 expected", "uuid_version")
            return nil
        }
        return canonical
    }

    /// A 200 status line, then the connection drops before the body: from the client's side the response is lost.
    private static var droppedConnection: Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody { _ in throw ResponseLost() }
        )
    }
}

/// Thrown mid-response so that the server closes the connection.
struct ResponseLost: Error {}
