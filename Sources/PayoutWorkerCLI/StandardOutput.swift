import Foundation

/// Machine-readable lines on stdout, written unbuffered so a parent process reading a pipe sees
/// them at once (stdio would hold them in its buffer).
enum StandardOutput {
    static func writeLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
