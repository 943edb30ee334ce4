public import Foundation

/// A headless Chromium driven through chromedriver's W3C WebDriver protocol (JSON over HTTP):
/// a real browser, with its own HTML parser, cookie jar, CSP enforcement and JavaScript, and no
/// code of ours between it and the page. Requests go through `curl`.
public final class WebDriver: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private let driver: ChildProcess
    private let port: Int
    private let session: String

    /// Starts chromedriver and a headless Chromium session. Throws if either is missing.
    public static func start() async throws -> WebDriver {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") else {
            throw Failure(
                description:
                    "chromedriver is not installed (scripts/install-dependencies --test installs chromium-driver)"
            )
        }
        // Port 0: chromedriver binds a free port itself and names it, so no other process can take
        // the port between a pick and the bind.
        let driver = try ChildProcess(URL(fileURLWithPath: "/usr/bin/chromedriver"), arguments: ["--port=0"])
        let listening = "was started successfully on port "
        let lines = driver.stdoutLines
        try await withDeadline(.seconds(30), "chromedriver listening") {
            await lines.wait { $0.contains { $0.contains(listening) } }
        }
        let announcement = lines.elements.first { $0.contains(listening) } ?? ""
        guard
            let port = Int(
                announcement.split(separator: " ").last?.trimmingCharacters(in: .punctuationCharacters) ?? ""
            )
        else {
            driver.signal(SIGTERM)
            throw Failure(description: "chromedriver named no port: \(lines.elements)")
        }
        // As root (CI), Chromium's own sandbox cannot start; the pages it loads are our own, on loopback.
        let capabilities =
            #"{"capabilities":{"alwaysMatch":{"goog:chromeOptions":{"binary":"/usr/bin/chromium","args":["--headless=new","--no-sandbox","--disable-gpu","--disable-dev-shm-usage","--window-size=1280,1000","--user-data-dir=\#(FileManager.default.temporaryDirectory.path)/chromium-\#(UUID().uuidString)"]}}}}"#
        var session: String?
        var refusals: [String] = []
        for _ in 0..<3 where session == nil {
            // Chromium's first start on a loaded machine can outlast chromedriver's own wait; one more try is a fresh start.
            do {
                let answer = try await call(port: port, "POST", "/session", capabilities)
                session = ((answer["value"] as? [String: Any])?["sessionId"]) as? String
                if session == nil { refusals.append("\(answer["value"] ?? answer)") }
            } catch {
                refusals.append("\(error)")
            }
        }
        guard let session else {
            driver.signal(SIGTERM)
            throw Failure(
                description:
                    "chromedriver could not start Chromium: \(refusals.joined(separator: " | ").prefix(3000)); "
                    + "chromedriver's stderr: \(driver.stderr.suffix(2000))"
            )
        }
        return WebDriver(driver: driver, port: port, session: session)
    }

    private init(driver: ChildProcess, port: Int, session: String) {
        self.driver = driver
        self.port = port
        self.session = session
    }

    public func open(_ url: String) async throws {
        _ = try await command("POST", "url", ["url": url])
    }

    public func currentURL() async throws -> String {
        try await command("GET", "url") as? String ?? ""
    }

    /// The page's visible text.
    public func text(_ selector: String = "body") async throws -> String {
        let element = try await find(selector)
        return try await command("GET", "element/\(element)/text") as? String ?? ""
    }

    /// The DOM as the browser serialises it now.
    public func source() async throws -> String {
        try await command("GET", "source") as? String ?? ""
    }

    public func type(_ text: String, into selector: String) async throws {
        let element = try await find(selector)
        _ = try await command("POST", "element/\(element)/value", ["text": text])
    }

    public func click(_ selector: String) async throws {
        let element = try await find(selector)
        _ = try await command("POST", "element/\(element)/click", [:])
    }

    /// Runs a script in the page and returns its result (for what WebDriver has no command for).
    public func execute(_ script: String) async throws -> Any? {
        try await command("POST", "execute/sync", ["script": script, "args": []])
    }

    /// A PNG of the window.
    public func screenshot() async throws -> Data {
        guard let base64 = try await command("GET", "screenshot") as? String, let data = Data(base64Encoded: base64)
        else {
            throw Failure(description: "no screenshot")
        }
        return data
    }

    public func quit() async {
        _ = try? await command("DELETE", "", nil)
        driver.signal(SIGTERM)
        _ = try? await driver.waitForExit(within: .seconds(30))
    }

    private func find(_ selector: String) async throws -> String {
        let value = try await command("POST", "element", ["using": "css selector", "value": selector])
        guard let element = (value as? [String: Any])?.values.first as? String else {
            throw Failure(description: "no element matches \(selector)")
        }
        return element
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]? = [:]) async throws -> Any? {
        let text = try body.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
        let answer = try await Self.call(
            port: port,
            method,
            "/session/\(session)" + (path.isEmpty ? "" : "/\(path)"),
            method == "GET" ? nil : text
        )
        if let error = answer["value"] as? [String: Any], let kind = error["error"] as? String {
            throw Failure(description: "\(method) \(path): \(kind): \(error["message"] as? String ?? "")")
        }
        return answer["value"]
    }

    private static func call(port: Int, _ method: String, _ path: String, _ body: String?) async throws -> [String: Any]
    {
        var arguments = [
            "--silent", "--max-time", "120", "--noproxy", "*", "-X", method, "http://127.0.0.1:\(port)\(path)",
        ]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let (status, output) = try await runCommand("/usr/bin/curl", arguments)
        guard status == 0, let object = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        else {
            throw Failure(description: "chromedriver \(method) \(path): curl \(status): \(output.prefix(500))")
        }
        return object
    }
}
