import ArgumentParser
import PayoutEngine

extension ReferenceID {
    /// A reference_id as an operator typed it, in either case; anything else is a usage error that
    /// names the argument and says what a reference_id looks like.
    static func argument(_ text: String, _ name: String) throws(ValidationError) -> ReferenceID {
        do {
            return try ReferenceID(parsing: text)
        } catch {
            throw ValidationError("\(name): \(error)")
        }
    }
}
