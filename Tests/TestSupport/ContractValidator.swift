import Foundation

/// Checks JSON documents against a schema in `contracts/` with python3-jsonschema, through
/// `scripts/validate-json`: the contract is judged by a validator no one here wrote.
public enum ContractValidator {
    /// The repository, found from this source file's location (Tests/TestSupport).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// One verdict a document, in order: nil when it validates, else why not.
    public static func problems(_ documents: [String], against schema: String) async throws -> [String?] {
        guard !documents.isEmpty else { return [] }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("contract-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        // One document a line: every document here is compact JSON without raw line breaks.
        try Data(documents.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n").utf8).write(
            to: file
        )
        let child = try ChildProcess(
            root.appendingPathComponent("scripts/validate-json"),
            arguments: [root.appendingPathComponent("contracts/\(schema)").path, file.path]
        )
        let status = try await child.waitForExit(within: .seconds(120))
        guard status == 0 else { throw ValidatorFailed(status: status, stderr: child.stderr) }
        let lines = child.stdoutLines.elements
        guard lines.count == documents.count else {
            throw ValidatorFailed(status: status, stderr: "\(lines.count) verdicts for \(documents.count) documents")
        }
        return lines.map { $0 == "ok" ? nil : $0 }
    }

    public struct ValidatorFailed: Error, CustomStringConvertible {
        public var status: Int32
        public var stderr: String
        public var description: String { "scripts/validate-json exited \(status): \(stderr)" }
    }
}
