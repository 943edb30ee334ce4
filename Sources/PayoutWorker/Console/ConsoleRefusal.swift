import Hummingbird
import PayoutEngine

/// Why the console refused a request, with the HTTP status that says so and a message for the
/// operator that names what to do.
struct ConsoleRefusal: Error {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    static func notFound(_ message: String) -> ConsoleRefusal { ConsoleRefusal(.notFound, message) }

    /// The engine's refusal of a resolution, as the console answers it.
    init(_ error: ResolutionError) {
        switch error {
        case .notFound: self.init(.notFound, "\(error)")
        case .unsupportedStatus, .missingNote: self.init(.unprocessableContent, "\(error)")
        case .notUnderReview, .busy, .changedMeanwhile: self.init(.conflict, "\(error)")
        case .contradictsDollr:
            self.init(
                .conflict,
                "\(error). Nothing was changed. If you are sure, tick \"Resolve my way\" and submit again: the audit record will say it was forced."
            )
        case .store: self.init(.serviceUnavailable, "\(error)")
        }
    }
}
