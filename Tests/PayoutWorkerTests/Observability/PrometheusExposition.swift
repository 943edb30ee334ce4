/// A strict reader of Prometheus text format 0.0.4, so tests check what a scraper would see rather than substrings.
struct PrometheusExposition {
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct ParseError: Error, CustomStringConvertible {
        var line: String
        var reason: String
        var description: String { "\(reason): \(line)" }
    }

    private(set) var samples: [Sample] = []
    /// `# TYPE` per metric family.
    private(set) var types: [String: String] = [:]

    init(parsing text: String) throws {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst("# TYPE ".count).split(separator: " ")
                guard parts.count == 2 else { throw ParseError(line: line, reason: "bad TYPE line") }
                guard self.types[String(parts[0])] == nil else { throw ParseError(line: line, reason: "TYPE twice") }
                self.types[String(parts[0])] = String(parts[1])
            } else if line.hasPrefix("#") {
                continue
            } else {
                self.samples.append(try Self.sample(line))
            }
        }
    }

    /// The value of the one sample with exactly these labels; `nil` when there is none.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = self.samples.filter { $0.name == name && $0.labels == labels }
        precondition(matching.count <= 1, "duplicate series \(name) \(labels)")
        return matching.first?.value
    }

    func samples(named name: String) -> [Sample] {
        self.samples.filter { $0.name == name }
    }

    private static func sample(_ line: String) throws -> Sample {
        var rest = Substring(line)
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
        guard !name.isEmpty else { throw ParseError(line: line, reason: "no metric name") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let key = rest.prefix { $0 != "=" }
                rest = rest.dropFirst(key.count)
                guard rest.hasPrefix("=\"") else { throw ParseError(line: line, reason: "label without value") }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first else { throw ParseError(line: line, reason: "bad escape") }
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                guard rest.first == "\"" else { throw ParseError(line: line, reason: "unterminated label value") }
                rest = rest.dropFirst()
                guard labels.updateValue(value, forKey: String(key)) == nil else {
                    throw ParseError(line: line, reason: "label twice")
                }
                if rest.first == "," { rest = rest.dropFirst() }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw ParseError(line: line, reason: "no space before value") }
        let text = rest.dropFirst()
        let value: Double? =
            switch text {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            default: Double(text)
            }
        guard let value else { throw ParseError(line: line, reason: "bad value") }
        return Sample(name: String(name), labels: labels, value: value)
    }
}
