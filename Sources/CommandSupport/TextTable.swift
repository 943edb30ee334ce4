/// Left-aligned columns separated by two spaces, header first: readable in a terminal and easy to
/// `awk`. Numbers are right-aligned so that amounts line up on the decimal point.
///
/// Kept rather than ordo-one/TextTable: its plain style separates columns with one space (a cell such as
/// "not found" would run into its neighbour), pads the last column with trailing blanks, and reads cells as `Any`
/// through `Mirror`; this one takes typed strings in 30 lines.
package struct TextTable {
    package enum Alignment { case left, right }

    package let columns: [(title: String, alignment: Alignment)]
    package private(set) var rows: [[String]] = []

    package init(_ columns: [(title: String, alignment: Alignment)]) {
        self.columns = columns
    }

    package mutating func append(_ row: [String]) {
        precondition(row.count == self.columns.count, "a row needs one cell per column")
        self.rows.append(row)
    }

    package var lines: [String] {
        let all = [self.columns.map(\.title)] + self.rows
        let widths = self.columns.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            var cells: [String] = []
            for (column, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                let isLast = column == row.count - 1
                switch self.columns[column].alignment {
                case .left: cells.append(isLast ? cell : cell + padding)
                case .right: cells.append(padding + cell)
                }
            }
            return cells.joined(separator: "  ")
        }
    }
}
