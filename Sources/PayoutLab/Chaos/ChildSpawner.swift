import ChildSpawn
import CommandSupport
import Foundation

/// Starts a child with posix_spawn and waits for it on a dedicated thread. Foundation's
/// `Process.run()` crashed under load here (a memcpy past a buffer inside it, seen on the 60th
/// restart of a long chaos run), and a chaos run restarts workers all the time.
enum ChildSpawner {
    struct SpawnFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Spawns `executable` with stdin from /dev/null and stdout and stderr appended to `logPath`,
    /// default signal handling and an empty signal mask, told to end with this process
    /// (``ParentWatch``); calls `onExit` with the exit status
    /// (128 + signal number when killed by a signal) from the thread that reaped it.
    /// `stdin` and `stdout`, when given, are descriptors the child gets as its standard input and
    /// output instead (open them close-on-exec, so that no other child inherits them); stderr
    /// still goes to `logPath`.
    static func spawn(
        _ executable: String,
        arguments: [String],
        environment: [String: String],
        logPath: String,
        stdin: Int32? = nil,
        stdout: Int32? = nil,
        onExit: @escaping @Sendable (Int32) -> Void
    ) throws -> pid_t {
        try spawn(
            executable,
            arguments: arguments,
            environment: environment,
            logPath: logPath,
            stdin: stdin,
            stdout: stdout,
            onTermination: { onExit($0.code) }
        )
    }

    /// ``spawn(_:arguments:environment:logPath:stdin:stdout:onExit:)``, telling apart an exit and
    /// a signal: a report that says "killed by SIGABRT" needs to know which it was.
    static func spawn(
        _ executable: String,
        arguments: [String],
        environment: [String: String],
        logPath: String,
        stdin: Int32? = nil,
        stdout: Int32? = nil,
        onTermination: @escaping @Sendable (ChildTermination) -> Void
    ) throws -> pid_t {
        // The child starts with SIGTERM and SIGINT blocked: one the run sends before the child's
        // own trap is installed (during exec and loading, its first milliseconds) stays pending,
        // and the trap takes it as a stop (see `SignalledStop`) instead of the default action
        // ending the child with 143. Every other signal starts unblocked, at its default.
        let pid: pid_t
        do {
            pid = try ChildSpawn.start(
                executable,
                arguments: arguments,
                environment: environment.merging(ParentWatch.forChildren) { _, watch in watch },
                stdin: stdin.map { .descriptor($0) } ?? .devNull,
                stderr: .appending(path: logPath),
                stdout: stdout.map { .descriptor($0) } ?? .standardError,
                blocked: [SIGTERM, SIGINT]
            )
        } catch {
            throw SpawnFailed(description: error.description)
        }
        // waitpid blocks: a plain thread, never the cooperative pool.
        let child = pid
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) == -1 && errno == EINTR {}
            onTermination(ChildTermination(waitStatus: status))
        }
        return pid
    }
}

/// How a child process ended: by exiting, or by a signal.
enum ChildTermination: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    /// From `waitpid`'s status (the child was not traced or stopped: `spawn` does not ask for those).
    init(waitStatus status: Int32) {
        let signal = status & 0x7F
        self = signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }

    /// The shell's number for it: the exit status, or 128 + the signal.
    var code: Int32 {
        switch self {
        case .exited(let status): status
        case .signalled(let signal): 128 + signal
        }
    }

    var description: String {
        switch self {
        case .exited(let status): "exit status \(status)"
        case .signalled(let signal): "killed by signal \(signal)" + (Self.signalNames[signal].map { " (\($0))" } ?? "")
        }
    }

    /// The signals a crashed or stopped child usually dies of (strsignal is not thread-safe).
    private static let signalNames: [Int32: String] = [
        SIGABRT: "SIGABRT", SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE",
        SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGTRAP: "SIGTRAP", SIGPIPE: "SIGPIPE",
    ]
}
