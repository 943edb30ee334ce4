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
        _ executable: String, arguments: [String], environment: [String: String], logPath: String,
        stdin: Int32? = nil, stdout: Int32? = nil,
        onExit: @escaping @Sendable (Int32) -> Void
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin { posix_spawn_file_actions_adddup2(&actions, stdin, 0) } else { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if let stdout { posix_spawn_file_actions_adddup2(&actions, stdout, 1) } else { posix_spawn_file_actions_adddup2(&actions, 2, 1) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.merging(ParentWatch.forChildren) { _, watch in watch }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnFailed(description: "posix_spawn \(executable): \(String(cString: strerror(result)))") }
        // waitpid blocks: a plain thread, never the cooperative pool.
        let child = pid
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) == -1 && errno == EINTR {}
            let signal = status & 0x7F
            onExit(signal == 0 ? (status >> 8) & 0xFF : 128 + signal)
        }
        return pid
    }
}
