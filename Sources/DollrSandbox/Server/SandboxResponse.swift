import DollrClient
import Hummingbird
import NIOCore

/// JSON responses in the shapes FastAPI produces.
enum SandboxResponse {
    static func json(_ status: Int, _ object: JSONObject, headers: HTTPFields = [:]) -> Response {
        self.json(status, .object(object), headers: headers)
    }

    static func json(_ status: Int, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(string: JSONWriter.serialize(value)))
        )
    }

    /// `{"detail": "..."}`, as `HTTPException` renders.
    static func detail(_ status: Int, _ message: String, headers: HTTPFields = [:]) -> Response {
        self.json(status, ["detail": .string(message)], headers: headers)
    }

    /// `{"detail": [{"loc": [...], "msg": ..., "type": ..., "input": ...}]}` with status 422.
    ///
    /// Given the request `body`, each issue under `body` also carries pydantic v2's `input`: the value at its `loc`,
    /// or for a missing field the object that lacks it. That echoes what the client sent, a wrong passcode or the
    /// client secret included, as FastAPI does; the client must never log it (a test holds it to that).
    static func validation(_ issues: [ValidationIssue], body: JSONObject? = nil) -> Response {
        let detail = issues.map { issue -> JSONValue in
            let loc = issue.loc.map { part -> JSONValue in Int(part).map { .integer($0) } ?? .string(part) }
            var entry: JSONObject = ["loc": .array(loc), "msg": .string(issue.msg), "type": .string(issue.type)]
            if let body, let input = Self.input(at: issue.loc, in: body) { entry["input"] = input }
            return .object(entry)
        }
        return self.json(422, ["detail": .array(detail)])
    }

    /// What pydantic reports as `input` for an issue at `loc` in the request body; `nil` outside the body.
    private static func input(at loc: [String], in body: JSONObject) -> JSONValue? {
        guard loc.first == "body" else { return nil }
        var current = JSONValue.object(body)
        for key in loc.dropFirst() {
            guard case .object(let object) = current, let next = object[key] else { return current }
            current = next
        }
        return current
    }

    static let unauthorized = "Could not validate credentials"
}

/// Reads a request body as a JSON object, or says why not in FastAPI's words.
enum RequestBodyReader {
    static let maximumBytes = 64 * 1024

    static func object(_ request: Request) async throws -> Result<JSONObject, ValidationIssues> {
        var buffer = try await request.body.collect(upTo: self.maximumBytes)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        guard !bytes.isEmpty else {
            return .failure(
                ValidationIssues(issues: [ValidationIssue(loc: ["body"], msg: "Field required", type: "missing")])
            )
        }
        switch Result(catching: { () throws(JSONParser.Error) in try JSONParser.parse(bytes) }) {
        case .success(.object(let object)):
            return .success(object)
        case .success:
            return .failure(
                ValidationIssues(issues: [
                    ValidationIssue(
                        loc: ["body"],
                        msg: "Input should be a valid dictionary or object to extract fields from",
                        type: "model_attributes_type"
                    )
                ])
            )
        case .failure(let error):
            return .failure(
                ValidationIssues(issues: [
                    ValidationIssue(
                        loc: ["body", String(error.offset)],
                        msg: "JSON decode error",
                        type: "json_invalid"
                    )
                ])
            )
        }
    }
}
