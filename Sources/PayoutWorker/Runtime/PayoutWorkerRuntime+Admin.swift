import Logging
import PayoutEngine
import ServiceLifecycle
import Synchronization

extension PayoutWorkerRuntime {
    /// Readiness: the consumer joined its group, the store answers, Dollr is reachable; merchant-level
    /// refusals (403, passcode, credentials) make the worker degraded: it runs, but cannot pay.
    static func readiness(
        store: any PayoutStore,
        engine: PayoutEngine,
        intake: IntakeService
    ) -> @Sendable () async -> ReadinessReport {
        {
            var checks: [String: CheckResult] = [:]
            checks["kafka"] = intake.hasJoined ? .ok : .failing("the consumer has not joined its group yet")
            do {
                _ = try await store.outboxBacklog()
                checks["store"] = .ok
            } catch {
                checks["store"] = .failing("\(error)")
            }
            let health = engine.health
            checks["dollr"] =
                health.providerUnavailable
                ? .failing("Dollr is unreachable or failing; payouts are retried with back-off") : .ok
            checks["merchant"] = .merchant(health)
            return ReadinessReport(checks: checks)
        }
    }

    static func adminServices(
        configuration: WorkerConfiguration,
        metrics: WorkerMetrics,
        readiness: @escaping @Sendable () async -> ReadinessReport,
        console: Console,
        port: AdminPort,
        logger: Logger
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let server = AdminServer(
            host: configuration.admin.host,
            port: configuration.admin.port,
            metrics: metrics,
            readiness: readiness,
            console: console,
            logger: logger
        ) { bound in
            port.listening(on: bound)
            logger.info("admin server listening", metadata: ["address": "http://\(configuration.admin.host):\(bound)"])
        }
        return [.init(service: server)]
    }
}

/// The admin server's bound port, once it listens (0 before), and who waits for it.
final class AdminPort: Sendable {
    let value = Atomic<Int>(0)
    private let waiters = Mutex<[CheckedContinuation<Int, Never>]>([])

    func listening(on port: Int) {
        value.store(port, ordering: .relaxed)
        for waiter in waiters.withLock({ waiters in
            defer { waiters = [] }
            return waiters
        }) { waiter.resume(returning: port) }
    }

    /// The port, waiting for the server to listen; 0 if the wait is cancelled first (which ends
    /// every wait under way: they are few and short).
    func wait() async -> Int {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let port = waiters.withLock { waiters -> Int? in
                    let port = value.load(ordering: .relaxed)
                    if port == 0 && !Task.isCancelled { waiters.append(continuation) }
                    return port == 0 && !Task.isCancelled ? nil : port
                }
                if let port { continuation.resume(returning: port) }
            }
        } onCancel: {
            for waiter in waiters.withLock({ waiters in
                defer { waiters = [] }
                return waiters
            }) { waiter.resume(returning: 0) }
        }
    }
}
