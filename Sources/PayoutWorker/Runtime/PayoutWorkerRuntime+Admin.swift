import Logging
import PayoutEngine
import ServiceLifecycle
import Synchronization

extension PayoutWorkerRuntime {
    /// Readiness: the consumer joined its group, the store answers, Dollr is reachable; merchant-level
    /// refusals (403, passcode, credentials) make the worker degraded: it runs, but cannot pay.
    static func readiness(store: any PayoutStore, engine: PayoutEngine, intake: IntakeService) -> @Sendable () async -> ReadinessReport {
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
            checks["dollr"] = health.providerUnavailable ? .failing("Dollr is unreachable or failing; payouts are retried with back-off") : .ok
            checks["merchant"] = .merchant(health)
            return ReadinessReport(checks: checks)
        }
    }

    static func adminServices(
        configuration: WorkerConfiguration, metrics: WorkerMetrics, readiness: @escaping @Sendable () async -> ReadinessReport,
        port: AdminPort, logger: Logger
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let server = AdminServer(
            host: configuration.admin.host, port: configuration.admin.port, metrics: metrics, readiness: readiness, logger: logger
        ) { bound in
            port.value.store(bound, ordering: .relaxed)
            logger.info("admin server listening", metadata: ["address": "http://\(configuration.admin.host):\(bound)"])
        }
        return [.init(service: server)]
    }
}

/// The admin server's bound port, once it listens (0 before).
final class AdminPort: Sendable {
    let value = Atomic<Int>(0)
}
