import Foundation
import Synchronization

/// The chaos run's embedded Kafka as a child process (`payout-lab broker --control`), so that
/// when librdkafka's mock cluster asserts (it does, on long runs and large groups) the run
/// survives it and says so. The child logs at info level to `logFile`, in the run's artifacts:
/// librdkafka prints a failed assertion on that same stderr just before it aborts.
actor BrokerProcess {
    /// The broker ended on its own while the run still needed it. A broker the run stopped
    /// itself is never one.
    struct Crashed: Error, CustomStringConvertible {
        var termination: ChildTermination
        /// librdkafka's failed assertion, when the log holds one.
        var assertion: String?
        /// The last lines of the broker's log.
        var logTail: [String]
        var logFile: URL

        init(termination: ChildTermination, logFile: URL) {
            let lines = ((try? String(contentsOf: logFile, encoding: .utf8)) ?? "").split(separator: "\n").map(
                String.init
            )
            self.termination = termination
            self.assertion = lines.last { $0.localizedCaseInsensitiveContains("assert") }
            self.logTail = Array(lines.suffix(Self.tailLines))
            self.logFile = logFile
        }

        static let tailLines = 40

        var description: String { "embedded broker crashed: \(termination)" + (assertion.map { "; \($0)" } ?? "") }

        /// The description, then the tail of the log, for stderr.
        var report: String {
            "\(description)\nlast \(logTail.count) lines of \(logFile.path):\n" + logTail.map { "  \($0)\n" }.joined()
        }
    }

    /// The control pipe did not get its answer.
    struct ControlFailed: Error, CustomStringConvertible {
        let description: String
    }

    nonisolated let bootstrapServers: String
    nonisolated let logFile: URL
    nonisolated let pid: pid_t
    private let control: FileHandle
    /// The broker's stdout after its first line: one answer per command, read in turn.
    private let replies: AsyncStream<String>
    private nonisolated let life: Life

    /// Whether the run asked the broker to stop, and how it ended. The reaping thread and
    /// ``stop()`` write it under one lock, so an end is a crash exactly when it came first.
    final class Life: Sendable {
        private struct State {
            var ending: ChildTermination?
            var stopRequested = false
            var waiters: [CheckedContinuation<ChildTermination, Never>] = []
        }

        private let state = Mutex(State())

        /// Marks the stop as the run's own; false if the process had already ended.
        func requestStop() -> Bool {
            state.withLock { state in
                guard state.ending == nil else { return false }
                state.stopRequested = true
                return true
            }
        }

        func ended(_ termination: ChildTermination) {
            let waiters = state.withLock { state in
                state.ending = termination
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: termination) }
        }

        /// How the process ended, when it ended before the run asked it to stop.
        var crash: ChildTermination? {
            state.withLock { $0.stopRequested ? nil : $0.ending }
        }

        /// Waits for the end, however it comes.
        func termination() async -> ChildTermination {
            await withCheckedContinuation { continuation in
                let ending = state.withLock { state in
                    if state.ending == nil { state.waiters.append(continuation) }
                    return state.ending
                }
                if let ending { continuation.resume(returning: ending) }
            }
        }
    }

    private init(
        bootstrapServers: String,
        logFile: URL,
        pid: pid_t,
        control: FileHandle,
        replies: AsyncStream<String>,
        life: Life
    ) {
        self.bootstrapServers = bootstrapServers
        self.logFile = logFile
        self.pid = pid
        self.control = control
        self.replies = replies
        self.life = life
    }

    /// Starts `executable broker --control` with these topics; returns once it serves.
    static func start(
        executable: URL,
        topics: [(name: String, partitions: Int)],
        logFile: URL
    ) async throws -> BrokerProcess {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0 else {
            throw ChildSpawner.SpawnFailed(description: "pipe: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec, so that no worker spawned later holds the control pipe open.
        for fd in input + output { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // A command written just as the broker dies must fail, not kill the run. Children get
        // their signals' defaults back (``ChildSpawner``).
        signal(SIGPIPE, SIG_IGN)
        let life = Life()
        // Info: the log then says when the cluster served and when it was asked to stop.
        let arguments =
            ["broker", "--control", "--log-level", "info"]
            + topics.flatMap { ["--topic", "\($0.name):\($0.partitions)"] }
        let pid = try ChildSpawner.spawn(
            executable.path,
            arguments: arguments,
            environment: ProcessInfo.processInfo.environment,
            logPath: logFile.path,
            stdin: input[0],
            stdout: output[1],
            onTermination: { life.ended($0) }
        )
        close(input[0])
        close(output[1])
        let lines = Self.lines(from: FileHandle(fileDescriptor: output[0], closeOnDealloc: true))
        var iterator = lines.makeAsyncIterator()
        guard let bootstrap = await iterator.next() else {
            throw Crashed(termination: await life.termination(), logFile: logFile)
        }
        return BrokerProcess(
            bootstrapServers: bootstrap,
            logFile: logFile,
            pid: pid,
            control: FileHandle(fileDescriptor: input[1], closeOnDealloc: true),
            replies: lines,
            life: life
        )
    }

    /// The lines the broker writes on stdout; the stream ends when the broker does. The reads
    /// block: a thread of their own.
    private static func lines(from handle: FileHandle) -> AsyncStream<String> {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    continuation.yield(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            continuation.finish()
        }
        return lines
    }

    /// How the broker ended, with the tail of its log, if it ended on its own: nil while it
    /// runs, and nil once the run has asked it to stop.
    nonisolated var crash: Crashed? {
        life.crash.map { Crashed(termination: $0, logFile: logFile) }
    }

    /// Waits until the process has ended, for whatever reason.
    func termination() async -> ChildTermination {
        await life.termination()
    }

    func setBrokerDown(_ id: Int32) async throws { try await command("down \(id)") }
    func setBrokerUp(_ id: Int32) async throws { try await command("up \(id)") }

    /// SIGTERM, then waits for the exit (SIGKILL after 20 s). From here on its end is the run's
    /// doing, not a crash.
    func stop() async {
        guard life.requestStop() else { return }
        kill(pid, SIGTERM)
        let pid = self.pid
        let life = self.life
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = await life.termination()
                return true
            }
            group.addTask { (try? await Task.sleep(for: .seconds(20))) == nil }
            if await group.next() == false { kill(pid, SIGKILL) }
            group.cancelAll()
        }
    }

    private func command(_ line: String) async throws {
        if let crash { throw crash }
        guard Self.send(line + "\n", to: control.fileDescriptor) else {
            _ = await life.termination()
            throw crash ?? ControlFailed(description: "broker \(line): the broker was stopped before it read it")
        }
        var answers = replies.makeAsyncIterator()
        guard let reply = await answers.next() else {
            // Its stdout closed: it has ended, or is ending. Wait for how, to say it.
            _ = await life.termination()
            throw crash ?? ControlFailed(description: "broker \(line): the broker was stopped before it answered")
        }
        guard reply == "ok" else { throw ControlFailed(description: "broker \(line): \(reply)") }
    }

    /// Writes all of `text`; false once the pipe is broken (the broker has ended). SIGPIPE is
    /// ignored from ``start(executable:topics:logFile:)`` on, so a broken pipe is an answer here
    /// instead of the end of the run.
    private static func send(_ text: String, to fd: Int32) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            bytes = bytes.dropFirst(written)
        }
        return true
    }
}
