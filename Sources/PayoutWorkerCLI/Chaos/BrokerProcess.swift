import Foundation
import Synchronization

/// The chaos run's embedded Kafka as a child process (`payout-worker broker --control`), so that
/// when librdkafka's mock cluster asserts (it does, on long runs and large groups) the run
/// survives it, says so and gives no verdict on the workers, whose fault it is not.
actor BrokerProcess {
    /// The broker died under the run.
    struct Crashed: Error, CustomStringConvertible {
        /// The assertion the mock failed, or how the process ended.
        var reason: String
        var description: String { "embedded broker crashed (mock limit): \(reason)" }
    }

    nonisolated let bootstrapServers: String
    nonisolated let logFile: URL
    private let pid: pid_t
    private let control: FileHandle
    /// The broker's stdout after its first line: one answer per command, read in turn.
    private let replies: AsyncStream<String>
    private nonisolated let exitStatus: ExitStatus
    private let exited: AsyncStream<Int32>

    /// Set once, from the thread that reaped the process.
    final class ExitStatus: Sendable {
        let value = Mutex<Int32?>(nil)
    }

    private init(bootstrapServers: String, logFile: URL, pid: pid_t, control: FileHandle,
                 replies: AsyncStream<String>, exitStatus: ExitStatus, exited: AsyncStream<Int32>) {
        self.bootstrapServers = bootstrapServers
        self.logFile = logFile
        self.pid = pid
        self.control = control
        self.replies = replies
        self.exitStatus = exitStatus
        self.exited = exited
    }

    /// Starts `executable broker --control` with these topics; returns once it serves.
    static func start(executable: URL, topics: [(name: String, partitions: Int)], logFile: URL) async throws -> BrokerProcess {
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0 else {
            throw ChildSpawner.SpawnFailed(description: "pipe: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec, so that no worker spawned later holds the control pipe open.
        for fd in input + output { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let (lines, linesContinuation) = AsyncStream.makeStream(of: String.self)
        let (exited, exitContinuation) = AsyncStream.makeStream(of: Int32.self)
        let exitStatus = ExitStatus()
        let arguments = ["broker", "--control", "--log-level", "warning"] + topics.flatMap { ["--topic", "\($0.name):\($0.partitions)"] }
        let pid = try ChildSpawner.spawn(
            executable.path, arguments: arguments, environment: ProcessInfo.processInfo.environment, logPath: logFile.path,
            stdin: input[0], stdout: output[1]
        ) { status in
            exitStatus.value.withLock { $0 = status }
            exitContinuation.yield(status)
            exitContinuation.finish()
        }
        close(input[0])
        close(output[1])
        let replies = FileHandle(fileDescriptor: output[0], closeOnDealloc: true)
        // Blocking reads: a thread of their own. The stream ends when the broker does.
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = replies.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    linesContinuation.yield(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            linesContinuation.finish()
        }
        var iterator = lines.makeAsyncIterator()
        guard let bootstrap = await iterator.next() else {
            throw Crashed(reason: Self.reason(status: exitStatus.value.withLock { $0 }, log: logFile))
        }
        return BrokerProcess(
            bootstrapServers: bootstrap, logFile: logFile, pid: pid, control: FileHandle(fileDescriptor: input[1], closeOnDealloc: true),
            replies: lines, exitStatus: exitStatus, exited: exited)
    }

    /// Why the broker is gone, if it is: its failed assertion, or how it ended.
    nonisolated var crash: Crashed? {
        exitStatus.value.withLock { $0 }.map { Crashed(reason: Self.reason(status: $0, log: logFile)) }
    }

    func setBrokerDown(_ id: Int32) async throws { try await command("down \(id)") }
    func setBrokerUp(_ id: Int32) async throws { try await command("up \(id)") }

    /// SIGTERM, then waits for the exit (SIGKILL after 20 s).
    func stop() async {
        guard exitStatus.value.withLock({ $0 }) == nil else { return }
        kill(pid, SIGTERM)
        let pid = self.pid, exited = self.exited
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { for await _ in exited { return true }; return true }
            group.addTask { (try? await Task.sleep(for: .seconds(20))) == nil }
            if await group.next() == false { kill(pid, SIGKILL) }
            group.cancelAll()
        }
    }

    private func command(_ line: String) async throws {
        if let crash { throw crash }
        control.write(Data((line + "\n").utf8))
        var answers = replies.makeAsyncIterator()
        guard let reply = await answers.next() else { throw crash ?? Crashed(reason: "its output closed") }
        guard reply == "ok" else { throw ChildSpawner.SpawnFailed(description: "broker \(line): \(reply)") }
    }

    private static func reason(status: Int32?, log: URL) -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        if let assertion = text.split(separator: "\n").first(where: { $0.contains("Assertion") || $0.contains("assert") }) {
            return String(assertion)
        }
        return status.map { "exit \($0)" } ?? "no bootstrap servers printed"
    }
}
