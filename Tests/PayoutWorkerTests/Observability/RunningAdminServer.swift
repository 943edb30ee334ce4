import Logging
import PayoutWorker
import ServiceLifecycle
import Synchronization
import TestSupport

/// An admin server on 127.0.0.1 with a free port, in its own `ServiceGroup`, answering `/readyz` with whatever report
/// the test sets.
final class RunningAdminServer: Sendable {
    let metrics = WorkerMetrics()
    private let report = Mutex(ReadinessReport(checks: [:]))
    private let started = Recorder<Int>()
    private let group: Mutex<ServiceGroup?> = Mutex(nil)
    private let finished = Recorder<Result<Void, any Error>>()

    var readiness: ReadinessReport {
        get { self.report.withLock { $0 } }
        set { self.report.withLock { $0 = newValue } }
    }

    /// The bound port; valid after ``start()``.
    var port: Int { self.started.elements[0] }

    func start() async throws {
        let logger = Logger(label: "admin-test") { _ in SwiftLogNoOpLogHandler() }
        let server = AdminServer(
            host: "127.0.0.1",
            port: 0,
            metrics: self.metrics,
            readiness: { self.readiness },
            logger: logger,
            onListening: { self.started.append($0) }
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [.init(service: server)], logger: logger)
        )
        self.group.withLock { $0 = group }
        let finished = self.finished
        Task {
            do {
                try await group.run()
                finished.append(.success(()))
            } catch {
                finished.append(.failure(error))
            }
        }
        let started = self.started
        try await withDeadline(.seconds(10), "admin server listening") {
            await withTaskGroup(of: Void.self) { waiters in
                // Either it listens, or it stops before listening (bind failure): don't wait for the deadline then.
                waiters.addTask { await started.wait { !$0.isEmpty } }
                waiters.addTask { await finished.wait { !$0.isEmpty } }
                await waiters.next()
                waiters.cancelAll()
            }
        }
        if let result = finished.elements.first { try result.get() }
    }

    /// Triggers graceful shutdown and waits for the group to return; throws if it takes longer than `limit`.
    func stop(within limit: Duration = .seconds(30)) async throws {
        guard let group = self.group.withLock({ $0 }) else { return }
        await group.triggerGracefulShutdown()
        let finished = self.finished
        try await withDeadline(limit, "admin server shutdown") { await finished.wait { !$0.isEmpty } }
        try finished.elements[0].get()
    }
}
