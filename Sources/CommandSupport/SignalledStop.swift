import Foundation
package import Logging
import Synchronization

/// SIGTERM and SIGINT for a long-running subcommand (`payout-worker run` and `console`, `payout-lab
/// sandbox` and `broker`): each one starts the command's graceful shutdown, and a stop that
/// overruns its bound ends the process with exit status 70 (EX_SOFTWARE) and a critical log line
/// instead of hanging. No service group of ours is given ServiceLifecycle's
/// `maximumCancellationDuration`, which turns a slow cancellation into a crash; this bound is the
/// last resort in its place.
///
/// The signals are trapped before `main` runs (see ``SignalTrap``). One that arrives while the
/// command is still starting (opening its store, its Kafka clients), before
/// ``run(bound:logger:shutdown:_:)`` begins, ends the process at once with status 0: nothing runs
/// yet, so there is nothing to drain, and a start-up that waits on an unreachable store would
/// otherwise hold the stop for as long as its connection attempts last.
package final class SignalledStop: Sendable {
    package static let overrunExitStatus: Int32 = 70

    private enum Phase {
        case starting
        /// What a signal does once the command runs: start its shutdown.
        case running(@Sendable (Int32) async -> Void)
    }

    /// Shared with the task that reads the signals.
    private final class PhaseCell: Sendable {
        let value = Mutex(Phase.starting)
    }

    private let phase = PhaseCell()
    private let forwarding: Task<Void, Never>

    /// Takes over the trapped signals (trapping them now if the process did not at its start); one
    /// that arrived since then, or arrives before ``run(bound:logger:shutdown:_:)``, ends start-up.
    package init() async {
        SignalTrap.install()
        let phase = phase
        forwarding = Task {
            for await signal in SignalTrap.signals {
                switch phase.value.withLock({ $0 }) {
                case .starting:
                    let name = ProcessInfo.processInfo.processName
                    FileHandle.standardError.write(
                        Data("\(name): \(SignalTrap.name(signal)) while starting; nothing runs yet, exiting\n".utf8)
                    )
                    Foundation.exit(0)
                case .running(let stop):
                    await stop(signal)
                }
            }
        }
    }

    deinit { forwarding.cancel() }

    /// Runs `body`. A signal calls `shutdown`; if `body` has not returned `bound` after the first
    /// signal, the process exits 70.
    package func run(
        bound: Duration,
        logger: Logger,
        shutdown: @escaping @Sendable () async -> Void,
        _ body: () async throws -> Void
    ) async throws {
        let watchdog = Mutex<Task<Void, Never>?>(nil)
        defer { watchdog.withLock { $0?.cancel() } }
        phase.value.withLock {
            $0 = .running { signal in
                logger.info("shutting down", metadata: ["signal": "\(SignalTrap.name(signal))"])
                await shutdown()
                watchdog.withLock { running in
                    guard running == nil else { return }
                    running = Task {
                        guard (try? await Task.sleep(for: bound)) != nil else { return }
                        logger.critical(
                            "graceful shutdown overran its bound; exiting",
                            metadata: ["bound": "\(bound)", "exit": "\(Self.overrunExitStatus)"]
                        )
                        Foundation.exit(Self.overrunExitStatus)
                    }
                }
            }
        }
        try await body()
    }
}

/// SIGTERM and SIGINT caught by a handler that writes the signal's number to a pipe, and read from
/// that pipe as a stream.
///
/// Installed by each executable's constructor (``installBeforeMain(argc:argv:subcommands:)``), before
/// `main`: until a handler
/// exists the default disposition ends the process with status 143, and the first handler
/// ServiceLifecycle's `UnixSignalsSequence` would install comes after the configuration is loaded,
/// some 10-50 ms after exec. libdispatch's `dispatchMain` parks the main thread in `sigsuspend`
/// with an empty mask, so blocking the signals instead would not keep them either.
///
/// The handler stays for the life of the process: handing over to another mechanism later would
/// leave a moment where a signal reaches neither. A signal that arrives while the dynamic loader
/// is still at work, before any code of ours runs, is beyond reach, unless the spawner starts the
/// process with the signals blocked: they are then pending, and `install()` unblocks them onto the
/// handler.
package enum SignalTrap {
    /// Created before the handler is installed, so the handler only ever reads it.
    private static let pipeEnds: (read: Int32, write: Int32) = {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { fatalError("pipe for the signal trap: errno \(errno)") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        // A handler must never block; a full pipe already holds more stops than anyone needs.
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        return (ends[0], ends[1])
    }()

    private static let installed = Atomic<Bool>(false)

    /// Every trapped signal, in arrival order, read by a thread of its own. One iterator per
    /// process: a process has one `SignalledStop`.
    static let signals: AsyncStream<Int32> = {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        let read = pipeEnds.read
        Thread.detachNewThread {
            var number: UInt8 = 0
            while true {
                let count = Glibc.read(read, &number, 1)
                if count == 1 {
                    continuation.yield(Int32(number))
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            continuation.finish()
        }
        return stream
    }()

    /// For an executable's `.init_array` constructor, which glibc runs before `main` with `argc`
    /// and `argv`: traps the signals when `argv[1]` is one of `subcommands`, those whose `run()`
    /// stops through a ``SignalledStop``. Any other subcommand keeps the default disposition, so a
    /// SIGTERM still ends a `wallets list` at once; a test bundle that links an executable's module
    /// has no subcommand in `argv[1]` and traps nothing.
    package static func installBeforeMain(
        argc: Int32,
        argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
        subcommands: Set<String>
    ) {
        guard argc > 1, let argv, let subcommand = argv[1] else { return }
        if subcommands.contains(String(cString: subcommand)) { install() }
    }

    /// Traps SIGTERM and SIGINT; later calls do nothing.
    static func install() {
        _ = pipeEnds
        guard installed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { number in
            // Only async-signal-safe work: one write(2), with errno kept for the interrupted code.
            let saved = errno
            var byte = UInt8(truncatingIfNeeded: number)
            _ = Glibc.write(SignalTrap.pipeEnds.write, &byte, 1)
            errno = saved
        }
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        var trapped = sigset_t()
        sigemptyset(&trapped)
        for number in [SIGTERM, SIGINT] {
            sigaction(number, &action, nil)
            sigaddset(&trapped, number)
        }
        // A spawner whose thread blocks every signal (each libdispatch thread does) hands the mask
        // down through exec; one sent since is pending and is delivered to the handler now.
        pthread_sigmask(SIG_UNBLOCK, &trapped, nil)
    }

    package static func name(_ number: Int32) -> String {
        switch number {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        default: "signal \(number)"
        }
    }
}
