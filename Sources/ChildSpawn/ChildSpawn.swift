import Foundation
public import Glibc

/// Starts a child process with `posix_spawn`, for the lab and the tests, which start workers,
/// brokers and tools by the hundred: no `fork` of a multithreaded process, and nothing inherited
/// but what the caller names.
///
/// Every descriptor above stderr is closed in the child as it starts. A socket another thread
/// opens without close-on-exec a moment before would otherwise be inherited: librdkafka's mock
/// cluster accepts connections that way, and a child holding one keeps the broker's port in use,
/// so librdkafka 2.0.2 aborts the whole process at the next broker-down (`Failed to-create mock
/// broker listener`). `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34) does it at once; the
/// Glibc module does not declare it, so it is looked up, and without it the descriptors open now
/// are closed one by one.
public enum ChildSpawn {
    /// Where one of the child's standard streams comes from or goes to.
    public enum Stream: Sendable {
        case devNull
        /// A descriptor of this process, duplicated onto the stream (open it close-on-exec, so
        /// that no other child inherits it).
        case descriptor(Int32)
        /// A file, created if need be, written at its end.
        case appending(path: String)
        /// The child's stderr, as set up before it (stdout only).
        case standardError
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Spawns `executable` (an absolute path) with exactly `arguments` after it and exactly
    /// `environment`. The child starts with every signal at its default action and with `blocked`
    /// blocked: a stop signal sent before the child installs its own handler then waits for it
    /// instead of ending the child.
    public static func start(
        _ executable: String,
        arguments: [String],
        environment: [String: String],
        stdin: Stream = .devNull,
        stderr: Stream,
        stdout: Stream,
        blocked: [Int32] = []
    ) throws(Failure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // stderr before stdout, so that stdout may be a copy of it.
        for (stream, target) in [(stdin, Int32(0)), (stderr, 2), (stdout, 1)] {
            switch stream {
            case .devNull:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let descriptor):
                posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            case .appending(let path):
                posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .standardError:
                posix_spawn_file_actions_adddup2(&actions, 2, target)
            }
        }
        closeInheritedDescriptors(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        var allSignals = sigset_t()
        sigemptyset(&mask)
        for signal in blocked { sigaddset(&mask, signal) }
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        // strdup is C's allocator: it fails only when memory is gone, and the spawn cannot go on then.
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw Failure(description: "posix_spawn \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Waits for the child to end, on a thread of its own (waitpid blocks; never the cooperative
    /// pool), and returns its exit status, or 128 + the signal that ended it.
    public static func exitStatus(of pid: pid_t) async -> Int32 {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                let signal = status & 0x7F
                continuation.resume(returning: signal == 0 ? (status >> 8) & 0xFF : 128 + signal)
            }
            thread.name = "wait-\(pid)"
            thread.start()
        }
    }

    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np"),
            unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3) == 0
        {
            return
        }
        // glibc ignores a close whose descriptor another thread closed meanwhile.
        for descriptor in openDescriptors() where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }

    private static func openDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        var descriptors: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let descriptor = Int32(name) { descriptors.append(descriptor) }
        }
        return descriptors
    }
}
