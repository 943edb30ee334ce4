/// How one engine instance works the store.
public struct EngineConfiguration: Sendable {
    /// Identifies this worker in leases; unique per process (a restarted process is a new owner).
    public var owner: String
    /// Payouts advanced concurrently by this instance. A payout waiting for its next poll does not
    /// count: it is parked in the store, not in memory.
    public var maximumInFlight = 256
    /// How many due payouts one claim takes.
    public var claimBatch = 64
    /// Lease on a payout while it is worked on; longer than any Dollr call can take (the client's
    /// request timeout), so a live worker never loses a payout mid-call.
    public var leaseMilliseconds: Int64 = 60_000
    /// The longest a Dollr call can take: the client's request timeout, which bounds a whole call,
    /// token fetch and 429 waits included (`DollrClient.call`). A call is started only
    /// while the payout's lease outlasts it, so no other worker can take the payout over while a
    /// call made under the lease may still land.
    public var providerCallTimeoutMilliseconds: Int64 = 30_000
    /// How often an idle engine looks for due work; new intake wakes it at once.
    public var idleCheck: Duration = .milliseconds(200)
    /// When no Dollr call has been made for this long, one harmless call (the status of a
    /// reference_id that never exists; 404 is the healthy answer) checks that Dollr answers. So
    /// readiness and intake flow control never rest on stale evidence: an idle worker, or one whose
    /// intake is paused for an outage, still notices Dollr going down and coming back. Shorter
    /// than the 5 s for which one failure counts as "unavailable", so during an outage the flag
    /// is renewed before it lapses and intake stays paused. `nil`: never.
    public var providerProbeInterval: Duration? = .seconds(2)
    public var policy = EnginePolicy()
    public var commandPolicy = CommandPolicy()

    public init(owner: String) {
        self.owner = owner
    }
}
