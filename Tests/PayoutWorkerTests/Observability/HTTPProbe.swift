import TestSupport

/// GET requests through the real `curl`, so the admin server is tested over real HTTP with a client that shares
/// nothing with it.
struct HTTPProbe {
    struct Answer {
        var status: Int
        var contentType: String
        var body: String
    }

    struct Failed: Error, CustomStringConvertible {
        var exitStatus: Int32
        var output: String
        var description: String { "curl exited with \(exitStatus): \(output)" }
    }

    private static let marker = "@@curl@@"

    /// Fails (throws) when no HTTP answer arrives, e.g. connection refused (curl's status 7).
    static func get(port: Int, _ path: String) async throws -> Answer {
        let (exit, output) = try await runCommand(
            "/usr/bin/curl",
            [
                "--silent", "--max-time", "10", "--noproxy", "*", "--write-out",
                "\n\(marker)%{http_code} %{content_type}",
                "http://127.0.0.1:\(port)\(path)",
            ]
        )
        guard exit == 0 else { throw Failed(exitStatus: exit, output: output) }
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let last = lines.popLast(), last.hasPrefix(marker) else { throw Failed(exitStatus: exit, output: output) }
        let meta = last.dropFirst(marker.count)
        let status = Int(meta.prefix { $0 != " " }) ?? 0
        let contentType = String(meta.drop { $0 != " " }.dropFirst())
        return Answer(status: status, contentType: contentType, body: lines.joined(separator: "\n"))
    }
}
