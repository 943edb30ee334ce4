/// A JSON document had valid syntax but not the shape we expected (missing member, wrong type).
package struct JSONShapeError: Error, Sendable, Hashable, CustomStringConvertible {
    package var field: String
    package var expected: String

    package init(field: String, expected: String) {
        self.field = field
        self.expected = expected
    }

    package var description: String { "field '\(self.field)': expected \(self.expected)" }
}
