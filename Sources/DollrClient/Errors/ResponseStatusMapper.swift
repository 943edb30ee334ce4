/// Maps a non-2xx answer to the ``DollrError`` the engine acts on.
enum ResponseStatusMapper {
    /// - Parameters:
    ///   - isIdempotent: whether a 5xx means "safe to retry" rather than "outcome unknown".
    ///   - isExecute: whether this answers execute, where a 422 may be a duplicate `reference_id`.
    static func error(for response: DollrResponse, isIdempotent: Bool, isExecute: Bool) -> DollrError {
        let detail: JSONValue? =
            if case .object(let object)? = try? JSONParser.parse(response.body) { object["detail"] } else { nil }
        switch response.status {
        case 401:
            return .unauthorized
        case 403:
            if case .string(let message)? = detail { return .forbidden(detail: message) }
            return .forbidden(detail: "no detail given")
        case 404:
            return .notFound
        case 422:
            guard let issues = ValidationIssue.list(fromDetail: detail) else {
                return .validation([ValidationIssue(loc: [], msg: "unreadable 422 body", type: "")])
            }
            return ValidationClassifier.classify(issues, onExecute: isExecute)
        case 429:
            return .rateLimited(retryAfter: response.retryAfter ?? .zero)
        case 500..<600:
            return isIdempotent
                ? .server(status: response.status) : .outcomeUnknown(.serverError(status: response.status))
        default:
            return .unexpectedStatus(response.status)
        }
    }
}
