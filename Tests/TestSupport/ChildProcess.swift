import ChildSpawn
public import Foundation
import Synchronization

/// A `payout-worker`, `payout-lab` (or other) process started by a test: stdout lines are recorded as they
/// arrive, stderr is kept for diagnostics (and for scanning logs for secrets).
///
/// It dies with the test process, however that ends: it is started through `setpriv --pdeathsig
/// KILL` from a thread that lives as long as the test process (see ``SpawningThread``). It starts
/// with default signal handling and an empty signal mask, as from a shell, unless the test asks
/// for signals to start blocked.
public final class ChildProcess: Sendable {
    public let stdoutLines = Recorder<String>()
    /// stderr's lines as they arrive, to wait for a log line.
    public let stderrLines = Recorder<String>()
    private let stderrChunks = Recorder<Data>()
    private let exit = Recorder<Int32>()
    private let stdoutClosed = Recorder<Bool>()
    private let stderrClosed = Recorder<Bool>()
    public let processIdentifier: Int32

    /// The `payout-worker` binary (the product) built next to the test bundle.
    public static var payoutWorkerBinary: URL { builtBinary("payout-worker") }

    /// The `payout-lab` binary (demo, bench, chaos, broker, sandbox) built next to the test bundle.
    public static var payoutLabBinary: URL { builtBinary("payout-lab") }

    private static func builtBinary(_ name: String) -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Starts `executable`. `blockedSignals` start blocked in the child, as a spawner that hands
    /// them over pending does: one sent before the child unblocks it waits for it.
    public init(
        _ executable: URL,
        arguments: [String],
        environment: [String: String] = [:],
        blockedSignals: [Int32] = []
    ) throws {
        // A `payout-worker` child that spawns children of its own passes the watch on (ParentWatch).
        let environment = ProcessInfo.processInfo.environment
            .merging(["EXIT_WITH_PARENT_PID": String(getpid())]) { _, new in new }
            .merging(environment) { _, new in new }
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw SpawnFailure(description: "\(executable.path) is not an executable file")
        }
        let stdout = try Self.pipe()
        let stderr = try Self.pipe()
        let pid: pid_t
        do {
            pid = try SpawningThread.shared.run {
                try Self.spawn(
                    executable.path,
                    arguments,
                    environment,
                    stdout: stdout.write,
                    stderr: stderr.write,
                    blocked: blockedSignals
                )
            }
        } catch {
            for end in [stdout.read, stdout.write, stderr.read, stderr.write] { close(end) }
            throw error
        }
        close(stdout.write)
        close(stderr.write)
        processIdentifier = pid

        // ChildSpawn waits on a thread of its own: waitpid blocks, never on the cooperative pool.
        let exit = exit
        Task { exit.append(await ChildSpawn.exitStatus(of: pid)) }
        // Pipes are drained with blocking reads on dedicated threads: Foundation's
        // dispatch-driven readabilityHandler crashed libdispatch under heavy process churn on
        // Linux, and a plain thread is all a test child needs.
        let stdoutClosed = stdoutClosed
        let stderrClosed = stderrClosed
        let stderrChunks = stderrChunks
        let outLines = LineSplitter(into: stdoutLines)
        let errLines = LineSplitter(into: stderrLines)
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while let chunk = Self.read(stdout.read, into: &buffer) { outLines.feed(chunk) }
            close(stdout.read)
            outLines.finish()
            stdoutClosed.append(true)
        }
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while let chunk = Self.read(stderr.read, into: &buffer) {
                stderrChunks.append(chunk)
                errLines.feed(chunk)
            }
            close(stderr.read)
            errLines.finish()
            stderrClosed.append(true)
        }
    }

    /// A pipe whose ends no other child inherits; the child gets its write end as stdout or stderr.
    private static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard Glibc.pipe(&ends) == 0 else { throw SpawnFailure(description: "pipe: errno \(errno)") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    /// Runs on the spawning thread. stdin is /dev/null; every other descriptor of the test process
    /// is closed in the child, including those opened without close-on-exec (Foundation's pipes,
    /// the mock cluster's accepted sockets).
    private static func spawn(
        _ executable: String,
        _ arguments: [String],
        _ environment: [String: String],
        stdout: Int32,
        stderr: Int32,
        blocked: [Int32]
    ) throws -> pid_t {
        do {
            return try ChildSpawn.start(
                setpriv,
                arguments: ["--pdeathsig", "KILL", "--", executable] + arguments,
                environment: environment,
                stderr: .descriptor(stderr),
                stdout: .descriptor(stdout),
                blocked: blocked
            )
        } catch {
            throw SpawnFailure(description: error.description)
        }
    }

    /// util-linux's, which sets PR_SET_PDEATHSIG and then executes the command in its place.
    private static let setpriv = "/usr/bin/setpriv"

    /// The next bytes of a pipe, nil at its end.
    private static func read(_ descriptor: Int32, into buffer: inout [UInt8]) -> Data? {
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
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
        try await withDeadline(limit, "stderr line containing \"\(text)\"") {
            await lines.wait { $0.contains { $0.contains(text) } }
        }
        return lines.elements.first { $0.contains(text) }!
    }

    public func signal(_ signal: Int32) {
        kill(processIdentifier, signal)
    }

    /// Waits for the process to exit and its stdout to be read to the end, then for its stderr
    /// too (a loaded machine can run the reading thread well after the exit, and a test that
    /// reads `stderr` then found it empty); returns the exit status, or 128 + the signal that
    /// ended it. The stderr wait has a bound of its own: a grandchild that inherited the pipe may
    /// hold it open after the exit.
    public func waitForExit(within limit: Duration = .seconds(60)) async throws -> Int32 {
        let exit = exit
        let stdoutClosed = stdoutClosed
        let stderrClosed = stderrClosed
        try await withDeadline(limit, "process exit") {
            await exit.wait { !$0.isEmpty }
            await stdoutClosed.wait { !$0.isEmpty }
        }
        try? await withDeadline(.seconds(10), "stderr closed") { await stderrClosed.wait { !$0.isEmpty } }
        return exit.elements[0]
    }

    deinit {
        if exit.elements.isEmpty { kill(processIdentifier, SIGKILL) }
    }
}

public struct SpawnFailure: Error, CustomStringConvertible {
    public let description: String
}

/// The one thread that starts every ``ChildProcess``, alive as long as the test process. Linux
/// sends a child its parent-death signal when the *thread* that spawned it ends, not the process;
/// spawned from a pool thread that retires, a child would be killed mid-test.
private final class SpawningThread: Sendable {
    static let shared = SpawningThread()

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let queued = DispatchSemaphore(value: 0)

    private init() {
        Thread.detachNewThread { [self] in
            while true {
                queued.wait()
                let job = jobs.withLock { $0.removeFirst() }
                job()
            }
        }
    }

    /// Runs `body` on the spawning thread; the calling thread waits for it, as long as a
    /// posix_spawn takes.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        jobs.withLock {
            $0.append {
                result.withLock { $0 = Result(catching: body) }
                done.signal()
            }
        }
        queued.signal()
        done.wait()
        return try result.withLock { $0! }.get()
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
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            complete.append(String(decoding: pending[start..<newline], as: UTF8.self))
            start = pending.index(after: newline)
        }
        guard !complete.isEmpty else { return }
        // One removal per chunk: removing each line as it is found moved the rest of a 64 KiB
        // chunk once per line.
        pending = Data(pending[start...])
        lines.append(complete)
    }

    /// A last line without a newline is still a line.
    func finish() {
        if !pending.isEmpty { lines.append(String(decoding: pending, as: UTF8.self)) }
        pending = Data()
    }
}

/// Runs a command to completion and returns its exit status and stdout.
public func runCommand(_ path: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    let child = try ChildProcess(URL(fileURLWithPath: path), arguments: arguments)
    let status = try await child.waitForExit()
    return (status, child.stdoutLines.elements.joined(separator: "\n"))
}
