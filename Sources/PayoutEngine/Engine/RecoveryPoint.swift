/// Places in a payout's progress where a test can stop the engine as if the process died:
/// nothing after the point runs, the lease is not released, and another engine must take over.
public enum RecoveryPoint: String, Sendable, Hashable, CaseIterable {
    /// A foreign call is about to be made.
    case beforeCall
    /// A foreign call returned; its result is not committed yet.
    case afterCall
    /// A transition was committed.
    case afterCommit
}

/// Thrown by a ``PayoutEngine/CrashHook`` to stop processing at a ``RecoveryPoint``.
public struct SimulatedCrash: Error, Sendable {
    public init() {}
}
