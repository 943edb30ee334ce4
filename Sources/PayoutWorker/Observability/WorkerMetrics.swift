// Placeholder until the metrics implementation lands (branch `admin`); same API, no output.
public import Kafka
public import PayoutEngine

public final class WorkerMetrics: Sendable, EngineObserver {
    public init() {}
    public func render() -> String { "" }
    public func commandsConsumed(_ count: Int) {}
    public func intakeResults(_ results: [IntakeResult]) {}
    public func deadLettered(reason: String) {}
    public func eventsPublished(_ count: Int) {}
    public func publishFailures(_ count: Int) {}
    public func outboxBacklog(_ count: Int) {}
    public func payoutsByStatus(_ counts: [String: Int]) {}
    public func inFlight(_ count: Int) {}
    public func consumerLag(_ lag: [KafkaTopicPartition: Int64]) {}
    public func walletAvailable(_ wallets: [WalletBalance]) {}
    public func providerCallFinished(call: String, outcome: String, duration: Duration) {}
    public func payoutFinished(status: PayoutStatus, reason: PayoutReason.Code?) {}
}
