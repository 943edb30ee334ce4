import Logging
import PayoutEngine
import ServiceLifecycle

// Placeholder until the admin server lands (branch `admin`).
extension PayoutWorkerRuntime {
    struct ReadinessPlaceholder: Sendable {}

    static func readiness(store: any PayoutStore, engine: PayoutEngine, intake: IntakeService) -> ReadinessPlaceholder { ReadinessPlaceholder() }

    static func adminServices(configuration: WorkerConfiguration, metrics: WorkerMetrics, readiness: ReadinessPlaceholder, logger: Logger) -> [ServiceGroupConfiguration.ServiceConfiguration] { [] }
}
