import Foundation
import TestSupport

/// Requests to the console through the real `curl`, headers and all, as a browser or a script
/// would send them.
struct ConsoleHTTP {
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: String

        func header(_ name: String) -> String? { headers[name.lowercased()] }

        /// The `value` of the first `<input name="csrf">` on the page.
        var csrf: String? {
            guard let range = body.range(of: #"name="csrf" value=""#) else { return nil }
            return String(body[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    let port: Int

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Answer {
        try await request("GET", path, headers: headers, form: nil)
    }

    func post(_ path: String, form: [(String, String)], headers: [String: String] = [:]) async throws -> Answer {
        try await request("POST", path, headers: headers, form: form)
    }

    func request(
        _ method: String,
        _ path: String,
        headers: [String: String],
        form: [(String, String)]?
    ) async throws -> Answer {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "console-headers-\(UUID().uuidString)"
        )
        defer { try? FileManager.default.removeItem(at: scratch) }
        var arguments = ["--silent", "--max-time", "60", "--noproxy", "*", "-X", method, "--dump-header", scratch.path]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let form {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            let body = form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
                .joined(separator: "&")
            arguments += ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", body]
        }
        arguments.append("http://127.0.0.1:\(port)\(path)")
        let (exit, body) = try await runCommand("/usr/bin/curl", arguments)
        guard exit == 0, let head = try? String(contentsOf: scratch, encoding: .utf8) else {
            throw HTTPProbe.Failed(exitStatus: exit, output: body)
        }
        var lines = head.split(separator: "\r\n").map(String.init)
        let status = Int(lines.removeFirst().split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: fields, body: body)
    }
}
