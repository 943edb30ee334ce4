import Foundation
import Logging
import UnixSignals

/// SIGTERM and SIGINT for a long-running subcommand (`run`, `sandbox`, `broker`): trapped from the
/// moment this exists, each one starts the command's graceful shutdown, and a stop that overruns
/// its bound ends the process with exit status 70 (EX_SOFTWARE) and a critical log line instead of
/// hanging. No service group of ours is given ServiceLifecycle's `maximumCancellationDuration`,
/// which turns a slow cancellation into a crash; this bound is the last resort in its place.
struct SignalledStop: Sendable {
    static let overrunExitStatus: Int32 = 70

    private let signals: UnixSignalsSequence

    /// Traps the signals: one that arrives before ``run(bound:logger:shutdown:_:)`` is kept.
    init() async {
        self.signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
    }

    /// Runs `body`. A signal calls `shutdown`; if `body` has not returned `bound` after the first
    /// signal, the process exits 70.
    func run(
        bound: Duration, logger: Logger, shutdown: @escaping @Sendable () async -> Void,
        _ body: () async throws -> Void
    ) async throws {
        let signals = self.signals
        let forwarding = Task {
            var watchdog: Task<Void, Never>?
            for await signal in signals {
                logger.info("shutting down", metadata: ["signal": "\(signal)"])
                await shutdown()
                watchdog = watchdog ?? Task {
                    guard (try? await Task.sleep(for: bound)) != nil else { return }
                    logger.critical("graceful shutdown overran its bound; exiting", metadata: [
                        "bound": "\(bound)", "exit": "\(Self.overrunExitStatus)",
                    ])
                    Foundation.exit(Self.overrunExitStatus)
                }
            }
            watchdog?.cancel()
        }
        defer { forwarding.cancel() }
        try await body()
    }
}
