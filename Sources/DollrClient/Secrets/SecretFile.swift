import class Foundation.FileManager

/// Secrets given as files (Docker and Kubernetes secrets): `<NAME>_FILE` holds the path of a file whose content,
/// minus its trailing line break, is the value of `<NAME>`.
///
/// The one reader of such files: the worker's configuration loader and the sandbox both use it, so that one
/// environment gives both sides the same secrets (before, only the worker read them, and a sandbox started from
/// the same environment fell back to its default secret: 401s and passcode 422s). Errors name the variable,
/// never the file's content.
public enum SecretFile {
    /// The suffix of a variable whose value is the path of a file holding the value.
    public static let suffix = "_FILE"

    /// The value that `<variable>_FILE` points at, or `nil` when that variable is unset or empty.
    /// Setting both `variable` and its `_FILE` is refused: which one wins would otherwise be a precedence rule
    /// an operator has to know.
    public static func value(of variable: String, in environment: [String: String]) throws(SecretFileError) -> String? {
        let fileVariable = variable + Self.suffix
        guard let path = environment[fileVariable], !path.isEmpty else { return nil }
        if let direct = environment[variable], !direct.isEmpty {
            throw SecretFileError(
                variable: fileVariable,
                reason: "is set together with \(variable); set only one of them"
            )
        }
        return try Self.contents(ofFileNamedBy: fileVariable, path: path)
    }

    /// The text of the file `path` that the `_FILE` variable `variable` names, without its trailing line break.
    public static func contents(ofFileNamedBy variable: String, path: String) throws(SecretFileError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SecretFileError(
                variable: variable,
                reason: "names a file that cannot be read (missing, or not permitted)"
            )
        }
        var text = String(decoding: data, as: UTF8.self)
        // Files written by editors and `echo` end in a newline that is not part of the secret.
        // Scalars, not Characters: "\r\n" is a single Character, so hasSuffix("\n") misses it.
        while let last = text.unicodeScalars.last, last == "\n" || last == "\r" {
            text.unicodeScalars.removeLast()
        }
        guard !text.isEmpty else { throw SecretFileError(variable: variable, reason: "names an empty file") }
        return text
    }
}

/// A `_FILE` variable that cannot be used; names the variable (and, for a conflict, the other one), never a value.
public struct SecretFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The variable to change.
    public var variable: String
    /// What is wrong with it, without its name.
    public var reason: String

    public var description: String { "environment variable \(self.variable) \(self.reason)" }
}
