/// The figures of one scenario, in the order they are printed, plus notes (formulas, caveats).
struct BenchFigures: Sendable {
    struct Value: Sendable {
        var name: String
        var value: Double
        var unit: String
        init(_ name: String, _ value: Double, unit: String) {
            self.name = name
            self.value = value
            self.unit = unit
        }
    }

    var scenario: String
    var values: [Value]
    var notes: [String] = []

    subscript(name: String) -> Double? { values.first { $0.name == name }?.value }
}
