import Foundation

/// Machine-readable lines on stdout, written unbuffered so a parent process reading a pipe sees
/// them at once (stdio would hold them in its buffer).
package enum StandardOutput {
    package static func writeLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// `value` as indented JSON with sorted keys, for `--json` listings.
    package static func writeJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        writeLine(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
