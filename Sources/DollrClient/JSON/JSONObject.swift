/// A JSON object that keeps its members in order, so that bodies we write read the way we built them.
package struct JSONObject: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    package struct Member: Sendable, Hashable {
        package var key: String
        package var value: JSONValue
    }

    package private(set) var members: [Member]

    package init() {
        self.members = []
    }

    /// Members whose names are already unique (the parser's own index ensures it).
    init(members: [Member]) {
        self.members = members
    }

    package init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.members = elements.map { Member(key: $0.0, value: $0.1) }
    }

    /// The member's value; with duplicate keys the last one wins, as in Python's `json`.
    package subscript(key: String) -> JSONValue? {
        get { self.members.last(where: { $0.key == key })?.value }
        set {
            self.members.removeAll(where: { $0.key == key })
            if let newValue {
                self.members.append(Member(key: key, value: newValue))
            }
        }
    }

    package var keys: [String] { self.members.map(\.key) }
}
