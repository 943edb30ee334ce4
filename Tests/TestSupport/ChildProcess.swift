public import Foundation
import Synchronization

/// A `payout-worker` (or other) process started by a test: stdout lines are recorded as they
/// arrive, stderr is kept for diagnostics (and for scanning logs for secrets).
public final class ChildProcess: Sendable {
    public let stdoutLines = Recorder<String>()
    /// stderr's lines as they arrive, to wait for a log line.
    public let stderrLines = Recorder<String>()
    private let stderrChunks = Recorder<Data>()
    private let exit = Recorder<Int32>()
    private let stdoutClosed = Recorder<Bool>()
    private let stderrClosed = Recorder<Bool>()
    // Process is not Sendable; after start it is only read (pid, status) and waited on.
    private let process: UncheckedBox<Process>

    /// The `payout-worker` binary built next to the test bundle.
    public static var payoutWorkerBinary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("payout-worker")
    }

    public init(_ executable: URL, arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        // A `payout-worker` child ends when the test runner does, crashed or not (see ParentWatch).
        process.environment = ProcessInfo.processInfo.environment
            .merging(["EXIT_WITH_PARENT_PID": String(getpid())]) { _, new in new }
            .merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        self.process = UncheckedBox(process)
        // The exit comes from Foundation's own reaper thread. Not `waitUntilExit()`: on Linux it
        // spins its thread's empty run loop until the child ends, a core per waiting child, and a
        // suite with a dozen children alive starved everything else of CPU.
        let exit = exit
        process.terminationHandler = { exit.append($0.terminationStatus) }

        try process.run()
        // Pipes are drained with blocking reads on dedicated threads: Foundation's
        // dispatch-driven readabilityHandler crashed libdispatch under heavy process churn on
        // Linux, and a plain thread is all a test child needs.
        let stdoutClosed = stdoutClosed, stderrClosed = stderrClosed, stderrChunks = stderrChunks
        let outHandle = UncheckedBox(out.fileHandleForReading), errHandle = UncheckedBox(err.fileHandleForReading)
        let outLines = LineSplitter(into: stdoutLines), errLines = LineSplitter(into: stderrLines)
        Thread.detachNewThread {
            while let chunk = Self.read(outHandle.value) { outLines.feed(chunk) }
            outLines.finish()
            stdoutClosed.append(true)
        }
        Thread.detachNewThread {
            while let chunk = Self.read(errHandle.value) {
                stderrChunks.append(chunk)
                errLines.feed(chunk)
            }
            errLines.finish()
            stderrClosed.append(true)
        }
    }

    /// The next bytes of a pipe, nil at its end. A plain read(2), not `availableData`: Foundation
    /// stops the process on a read error, and under heavy process churn the test runner was
    /// aborted (signal 6) in one of these threads.
    private static func read(_ handle: FileHandle) -> Data? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 { return Data(buffer[0..<count]) }
            if count < 0, errno == EINTR { continue }
            return nil
        }
    }

    /// Everything the process wrote to stderr so far.
    public var stderr: String {
        // Appended in place: `reduce(Data(), +)` copies everything per chunk, and a child logging
        // at debug writes thousands of chunks (it held a pool thread for minutes).
        var all = Data()
        for chunk in stderrChunks.elements { all.append(chunk) }
        return String(decoding: all, as: UTF8.self)
    }

    /// Waits for the first stdout line.
    public func firstLine(within limit: Duration = .seconds(60)) async throws -> String {
        let lines = stdoutLines
        try await withDeadline(limit, "first stdout line") { await lines.wait { !$0.isEmpty } }
        return lines.elements[0]
    }

    /// Waits for a stderr line containing `text`; returns it.
    @discardableResult
    public func stderrLine(containing text: String, within limit: Duration = .seconds(60)) async throws -> String {
        let lines = stderrLines
        try await withDeadline(limit, "stderr line containing \"\(text)\"") { await lines.wait { $0.contains { $0.contains(text) } } }
        return lines.elements.first { $0.contains(text) }!
    }

    public var processIdentifier: Int32 { process.value.processIdentifier }

    public func signal(_ signal: Int32) {
        kill(process.value.processIdentifier, signal)
    }

    /// Waits for the process to exit and its stdout to be read to the end, then for its stderr
    /// too (a loaded machine can run the reading thread well after the exit, and a test that
    /// reads `stderr` then found it empty); returns the exit status. The stderr wait has a bound
    /// of its own: a grandchild that inherited the pipe may hold it open after the exit.
    public func waitForExit(within limit: Duration = .seconds(60)) async throws -> Int32 {
        let exit = exit, stdoutClosed = stdoutClosed, stderrClosed = stderrClosed
        try await withDeadline(limit, "process exit") {
            await exit.wait { !$0.isEmpty }
            await stdoutClosed.wait { !$0.isEmpty }
        }
        try? await withDeadline(.seconds(10), "stderr closed") { await stderrClosed.wait { !$0.isEmpty } }
        return exit.elements[0]
    }

    deinit {
        if process.value.isRunning { kill(process.value.processIdentifier, SIGKILL) }
    }
}

/// Splits a byte stream into lines for a recorder; used from one reading thread only.
private final class LineSplitter: @unchecked Sendable {
    // @unchecked: `pending` is touched only by the one thread that reads the pipe.
    private var pending = Data()
    private let lines: Recorder<String>

    init(into lines: Recorder<String>) { self.lines = lines }

    func feed(_ chunk: Data) {
        pending.append(chunk)
        var complete: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            complete.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
            pending.removeSubrange(pending.startIndex...newline)
        }
        if !complete.isEmpty { lines.append(complete) }
    }

    /// A last line without a newline is still a line.
    func finish() {
        if !pending.isEmpty { lines.append(String(decoding: pending, as: UTF8.self)) }
        pending = Data()
    }
}

/// Wraps a non-Sendable value whose use is confined as documented at the use site.
public struct UncheckedBox<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

/// Runs a command to completion and returns its exit status and stdout.
public func runCommand(_ path: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    let child = try ChildProcess(URL(fileURLWithPath: path), arguments: arguments)
    let status = try await child.waitForExit()
    return (status, child.stdoutLines.elements.joined(separator: "\n"))
}
