/// A change of this member's partitions, delivered to the application's rebalance handler.
public enum KafkaRebalanceEvent: Sendable, Hashable {
    /// Partitions were added to this member. Messages from them may follow.
    case assigned(Set<KafkaTopicPartition>)
    /// Partitions are about to leave this member. They are still assigned while the handler runs:
    /// buffered messages of these partitions have been dropped, offsets stored in the handler are
    /// committed when it returns, and only then are the partitions unassigned.
    case revoked(Set<KafkaTopicPartition>)
    /// Partitions were taken away without a clean hand-over (session timed out, fenced). Their
    /// offsets can no longer be committed by this member; another member may already own them.
    case lost(Set<KafkaTopicPartition>)
}

/// Called for every rebalance; the consumer waits for it (bounded by
/// ``KafkaConsumerConfiguration/rebalanceHandlerTimeout``) before the rebalance completes.
public typealias KafkaRebalanceHandler = @Sendable (KafkaRebalanceEvent) async -> Void
