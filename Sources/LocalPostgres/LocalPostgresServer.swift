import ChildSpawn
import Foundation
import Synchronization

/// A real, disposable PostgreSQL server for one process (the tests, `payout-lab chaos`):
/// started lazily on first use on 127.0.0.1 and a free port, in a fresh temporary directory, with
/// a random password (scram-sha-256) so clients exercise real authentication. ``shared`` runs with
/// `fsync`, `synchronous_commit` and `full_page_writes` off, for the tests: the data is thrown
/// away. ``durable`` keeps PostgreSQL's defaults, for measurements (`payout-lab bench`), where
/// every commit must cost its WAL flush as in production.
///
/// Users isolate themselves with ``createDatabase(prefix:)``, which makes a new database per call,
/// so they can run in parallel against the one server.
///
/// Lifetime: the server runs under a small shell watchdog whose stdin is a pipe held by this
/// process. When this process exits — normally, by crash or by SIGKILL — the kernel closes the
/// pipe, the watchdog reads end-of-file, stops PostgreSQL and deletes the directory. Nothing
/// survives the run.
///
/// PostgreSQL refuses to run as root; as root the watchdog (and so initdb and the server) runs as
/// the `postgres` system user. The binaries are Debian's (`/usr/lib/postgresql/<version>/bin`,
/// newest version); when they are missing the error says how to install them.
public actor LocalPostgresServer {
    public static let shared = LocalPostgresServer()
    /// A second server, with commits as durable as PostgreSQL's defaults make them.
    public static let durable = LocalPostgresServer(durable: true)

    public struct Instance: Sendable {
        public let host = "127.0.0.1"
        public let port: Int
        public let user = "postgres"
        public let password: String
        public let binDirectory: String
        public let directory: String
    }

    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
    }

    private var starting: Task<Instance, any Error>?
    /// The write end of the watchdog's stdin: kept open for the life of the process.
    private var watchdogStdin: Int32?

    /// Settings that trade durability for speed; empty for a durable server.
    private let durabilitySettings: String

    public init(durable: Bool = false) {
        durabilitySettings = durable ? "" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    }

    /// The running server, started on first call.
    public func instance() async throws -> Instance {
        if let starting { return try await starting.value }
        let task = Task { try await self.start() }
        starting = task
        return try await task.value
    }

    /// Creates an empty database and returns its URL (`postgres://postgres:…@127.0.0.1:port/name`).
    public func createDatabase(prefix: String = "t") async throws -> String {
        let server = try await instance()
        let name = "\(prefix)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        let result = try await Self.run(
            "\(server.binDirectory)/createdb",
            ["-h", server.host, "-p", "\(server.port)", "-U", server.user, name],
            environment: ["PGPASSWORD": server.password]
        )
        guard result.status == 0 else {
            throw SetupError(description: "createdb \(name) failed (\(result.status)): \(result.stderr)")
        }
        return "postgres://\(server.user):\(server.password)@\(server.host):\(server.port)/\(name)?sslmode=disable"
    }

    // MARK: - Starting

    private func start() async throws -> Instance {
        let bin = try Self.findBinaries()
        Self.sweepStaleDirectories(bin: bin)
        var template = Array("/tmp/payout-pg-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw SetupError(description: "mkdtemp failed: errno \(errno)") }
        let directory = String(cString: created)
        let password = "pw-\(UUID().uuidString)"
        try password.write(toFile: "\(directory)/password", atomically: true, encoding: .utf8)
        try "\(getpid())".write(toFile: "\(directory)/owner-pid", atomically: true, encoding: .utf8)
        let asRoot = getuid() == 0
        if asRoot {
            let chown = try await Self.run("/bin/chown", ["-R", "postgres:postgres", directory], environment: [:])
            guard chown.status == 0 else {
                throw SetupError(description: "chown of \(directory) to postgres failed: \(chown.stderr)")
            }
        }

        // A free port can be taken by someone else before the server binds it: try a few.
        var lastFailure = ""
        attempts: for _ in 0..<5 {
            let port = try LoopbackPort.free()
            switch try await launch(bin: bin, directory: directory, port: port, asRoot: asRoot) {
            case .ready:
                return Instance(port: port, password: password, binDirectory: bin, directory: directory)
            case .failed(let output):
                lastFailure = output
                if !output.contains("could not bind") && !output.contains("Address already in use") { break attempts }
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw SetupError(description: "PostgreSQL did not start:\n\(lastFailure)")
    }

    private enum LaunchResult {
        case ready
        case failed(String)
    }

    private func launch(bin: String, directory: String, port: Int, asRoot: Bool) async throws -> LaunchResult {
        // $1 bin directory, $2 temporary directory, $3 port, $4 durability settings. Runs until
        // stdin reaches end-of-file.
        let script = #"""
            set -u
            bin="$1"; dir="$2"; port="$3"; durability="$4"
            cleanup() { trap "" INT TERM HUP; "$bin/pg_ctl" -D "$dir/data" stop -m immediate >/dev/null 2>&1; rm -rf "$dir"; }
            if [ ! -f "$dir/data/PG_VERSION" ]; then
              if ! "$bin/initdb" -D "$dir/data" -U postgres --auth-host=scram-sha-256 --auth-local=trust \
                   --pwfile="$dir/password" -E UTF8 --no-locale >"$dir/initdb.log" 2>&1; then
                cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1
              fi
            fi
            if ! "$bin/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/server.log" \
                 -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $durability -c max_connections=500 -c shared_buffers=64MB" \
                 start >/dev/null 2>&1; then
              cat "$dir/server.log" >&2; exit 1
            fi
            trap cleanup EXIT
            trap 'exit 0' INT TERM HUP
            echo READY
            read -r _ || true
            """#
        let arguments = ["-c", script, "postgres-test-server", bin, directory, "\(port)", durabilitySettings]
        let (executable, commandLine) =
            asRoot ? ("/sbin/runuser", ["-u", "postgres", "--", "/bin/bash"] + arguments) : ("/bin/bash", arguments)
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pg-server-\(UUID().uuidString).err"
        )
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let stdin = try Self.pipe()
        let stdout = try Self.pipe()
        let pid: pid_t
        do {
            pid = try ChildSpawn.start(
                executable,
                arguments: commandLine,
                environment: ProcessInfo.processInfo.environment,
                stdin: .descriptor(stdin.read),
                stderr: .appending(path: errorFile.path),
                stdout: .descriptor(stdout.write)
            )
        } catch {
            for end in [stdin.read, stdin.write, stdout.read, stdout.write] { close(end) }
            throw SetupError(description: error.description)
        }
        close(stdin.read)
        close(stdout.write)
        // stdout is read by a plain thread with blocking reads until READY or end-of-file (see
        // `run` for why not a readabilityHandler). pg_ctl's own `-t 60` bounds the wait.
        let ready: Bool = await withCheckedContinuation { continuation in
            Thread {
                defer { close(stdout.read) }
                var text = ""
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(stdout.read, $0.baseAddress, $0.count) }
                    if count < 0, errno == EINTR { continue }
                    if count <= 0 {
                        continuation.resume(returning: false)
                        return
                    }
                    text += String(decoding: buffer[0..<count], as: UTF8.self)
                    if text.contains("READY") {
                        continuation.resume(returning: true)
                        return
                    }
                }
            }.start()
        }
        if ready {
            watchdogStdin = stdin.write
            return .ready
        }
        close(stdin.write)
        _ = await ChildSpawn.exitStatus(of: pid)
        return .failed((try? String(contentsOf: errorFile, encoding: .utf8)) ?? "")
    }

    /// A pipe whose ends no child inherits unless it is given one as a standard stream.
    private static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard Glibc.pipe(&ends) == 0 else {
            throw SetupError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    // MARK: - Helpers

    /// Runs a short command to completion, its stderr captured through a file. Deliberately no
    /// pipe `readabilityHandler`: with many short-lived children, corelibs-foundation can close a
    /// pipe while libdispatch still watches its descriptor, and a reused descriptor then crashes
    /// libdispatch's event loop.
    private static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]
    ) async throws -> (status: Int32, stderr: String) {
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("pg-cmd-\(UUID().uuidString).err")
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let pid: pid_t
        do {
            pid = try ChildSpawn.start(
                executable,
                arguments: arguments,
                environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
                stderr: .appending(path: errorFile.path),
                stdout: .devNull
            )
        } catch {
            throw SetupError(description: error.description)
        }
        let status = await ChildSpawn.exitStatus(of: pid)
        let stderr = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        return (status, stderr)
    }

    /// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb` and `pg_ctl`.
    private static func findBinaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let candidates =
            versions
            .compactMap { version -> (Int, String)? in
                let bin = "\(root)/\(version)/bin"
                guard let number = Int(version), FileManager.default.isExecutableFile(atPath: "\(bin)/initdb"),
                    FileManager.default.isExecutableFile(atPath: "\(bin)/pg_ctl")
                else { return nil }
                return (number, bin)
            }
            .sorted { $0.0 > $1.0 }
        guard let newest = candidates.first else {
            throw SetupError(
                description: """
                    PostgreSQL server binaries (initdb, pg_ctl) not found under \(root)/*/bin. \
                    Run scripts/test, which installs the postgresql package (or scripts/install-dependencies --test).
                    """
            )
        }
        return newest.1
    }

    /// Removes directories left by a test process that died while its watchdog could not clean up
    /// (the watchdog itself killed): their owner process is gone.
    private static func sweepStaleDirectories(bin: String) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for entry in entries where entry.hasPrefix("payout-pg-") {
            let directory = "/tmp/\(entry)"
            guard let text = try? String(contentsOfFile: "\(directory)/owner-pid", encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            if let pidText = try? String(contentsOfFile: "\(directory)/data/postmaster.pid", encoding: .utf8),
                let line = pidText.split(separator: "\n").first, let serverPID = Int32(line)
            {
                kill(serverPID, SIGQUIT)
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
