import Foundation

/// A fresh directory under the system temporary directory for real files a test writes
/// (configuration files, secret files); removed by `remove()`.
struct ScratchDirectory {
    let url: URL

    init() throws {
        self.url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "payout-worker-tests-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` and returns the file's path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = self.url.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    func path(_ name: String) -> String { self.url.appendingPathComponent(name).path }

    func remove() {
        try? FileManager.default.removeItem(at: self.url)
    }
}

/// Files of this repository, found from this source file's location (Tests/PayoutWorkerTests/Support).
enum Repository {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: self.root.appendingPathComponent(relativePath), encoding: .utf8)
    }

    static func path(_ relativePath: String) -> String {
        self.root.appendingPathComponent(relativePath).path
    }
}
