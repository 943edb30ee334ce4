public import Foundation
import Synchronization

/// A `payout-worker` (or other) process started by a test: stdout lines are recorded as they
/// arrive, stderr is kept for diagnostics (and for scanning logs for secrets).
public final class ChildProcess: Sendable {
    public let stdoutLines = Recorder<String>()
    private let stderrChunks = Recorder<Data>()
    private let exit = Recorder<Int32>()
    private let stdoutClosed = Recorder<Bool>()
    // Process is not Sendable; it is only touched at start and through its thread-safe
    // terminate/interrupt/processIdentifier calls below.
    private let process: UncheckedBox<Process>

    /// The `payout-worker` binary built next to the test bundle.
    public static var payoutWorkerBinary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("payout-worker")
    }

    public init(_ executable: URL, arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        self.process = UncheckedBox(process)

        let lines = stdoutLines
        let stdoutClosed = stdoutClosed
        let pending = Mutex(Data())
        out.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                // A last line without a newline is still a line.
                let rest = pending.withLock { buffer -> Data in defer { buffer = Data() }; return buffer }
                if !rest.isEmpty { lines.append(String(decoding: rest, as: UTF8.self)) }
                stdoutClosed.append(true)
                return
            }
            let complete = pending.withLock { buffer -> [String] in
                buffer.append(chunk)
                var result: [String] = []
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    result.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
                return result
            }
            if !complete.isEmpty { lines.append(complete) }
        }
        let stderrChunks = stderrChunks
        err.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty { handle.readabilityHandler = nil; return }
            stderrChunks.append(chunk)
        }
        let exit = exit
        process.terminationHandler = { exit.append($0.terminationStatus) }
        try process.run()
    }

    /// Everything the process wrote to stderr so far.
    public var stderr: String { String(decoding: stderrChunks.elements.reduce(Data(), +), as: UTF8.self) }

    /// Waits for the first stdout line.
    public func firstLine(within limit: Duration = .seconds(60)) async throws -> String {
        let lines = stdoutLines
        try await withDeadline(limit, "first stdout line") { await lines.wait { !$0.isEmpty } }
        return lines.elements[0]
    }

    public func signal(_ signal: Int32) {
        kill(process.value.processIdentifier, signal)
    }

    /// Waits for the process to exit and its stdout to be read to the end; returns the exit status.
    public func waitForExit(within limit: Duration = .seconds(60)) async throws -> Int32 {
        let exit = exit, stdoutClosed = stdoutClosed
        try await withDeadline(limit, "process exit") {
            await exit.wait { !$0.isEmpty }
            await stdoutClosed.wait { !$0.isEmpty }
        }
        return exit.elements[0]
    }

    deinit {
        if process.value.isRunning { kill(process.value.processIdentifier, SIGKILL) }
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
