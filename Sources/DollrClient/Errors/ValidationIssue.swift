/// One entry of a FastAPI-style 422 body: `{"loc": ["body", "amount"], "msg": "...", "type": "..."}`.
public struct ValidationIssue: Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is; FastAPI mixes strings and list indexes, both are held as text.
    public var loc: [String]
    public var msg: String
    public var type: String

    public init(loc: [String], msg: String, type: String) {
        self.loc = loc
        self.msg = msg
        self.type = type
    }

    public var description: String { "\(self.loc.joined(separator: ".")): \(self.msg) [\(self.type)]" }

    /// Reads the `detail` of a 422 body: a list of issues, or a plain string (as `HTTPException(422, "...")` sends).
    package static func list(fromDetail detail: JSONValue?) -> [ValidationIssue]? {
        switch detail {
        case .string(let message)?:
            return [ValidationIssue(loc: [], msg: message, type: "value_error")]
        case .array(let entries)?:
            var issues: [ValidationIssue] = []
            for entry in entries {
                guard case .object(let object) = entry else { return nil }
                var loc: [String] = []
                if case .array(let parts)? = object["loc"] {
                    for part in parts {
                        switch part {
                        case .string(let text): loc.append(text)
                        case .number(let literal): loc.append(literal)
                        default: return nil
                        }
                    }
                }
                guard case .string(let msg)? = object["msg"] else { return nil }
                let type: String
                if case .string(let text)? = object["type"] { type = text } else { type = "" }
                issues.append(ValidationIssue(loc: loc, msg: msg, type: type))
            }
            return issues
        default:
            return nil
        }
    }
}
