public import PayoutEngine

/// What the console reads and does. A worker gives it everything it has; `payout-worker console`
/// runs without Kafka intake, so the live figures of a consumer (lag, latencies, readiness) are
/// absent there and the pages say so.
public struct ConsoleBackend: Sendable {
    /// An operator's resolution, as the console's form gives it.
    public struct Resolution: Sendable {
        public var referenceID: ReferenceID
        public var status: PayoutStatus
        public var note: String
        public var operatorName: String
        public var force: Bool
    }

    public var store: any PayoutStore
    /// Resolves a payout under review through the engine: Dollr is asked first, the hold is settled
    /// and the audit record written in one transaction.
    public var resolve: @Sendable (Resolution) async throws(ResolutionError) -> ResolutionAudit
    /// Re-sends the kept dead letters; nil where no producer is at hand.
    public var resendDeadLetters: (@Sendable () async throws -> DeadLetterResend)?
    public var readiness: (@Sendable () async -> ReadinessReport)?
    public var recent: RecentActivity?
    /// Who serves the page: the worker's id, or nil for `payout-worker console`.
    public var workerID: String?

    public init(
        store: any PayoutStore,
        resolve: @escaping @Sendable (Resolution) async throws(ResolutionError) -> ResolutionAudit,
        resendDeadLetters: (@Sendable () async throws -> DeadLetterResend)? = nil,
        readiness: (@Sendable () async -> ReadinessReport)? = nil,
        recent: RecentActivity? = nil,
        workerID: String? = nil
    ) {
        self.store = store
        self.resolve = resolve
        self.resendDeadLetters = resendDeadLetters
        self.readiness = readiness
        self.recent = recent
        self.workerID = workerID
    }

    /// Resolutions through `engine`.
    public static func resolving(
        with engine: PayoutEngine
    ) -> @Sendable (Resolution) async throws(ResolutionError) -> ResolutionAudit {
        { (resolution: Resolution) async throws(ResolutionError) -> ResolutionAudit in
            try await engine.resolveReview(
                referenceID: resolution.referenceID,
                as: resolution.status,
                note: resolution.note,
                operator: resolution.operatorName,
                force: resolution.force
            )
        }
    }
}
