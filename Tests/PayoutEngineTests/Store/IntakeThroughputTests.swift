import PayoutEngine
import Testing

/// Measures intake (batches of 500 new commands) and prints commands per second. A measurement,
/// not an assertion: timing depends on the machine.
@Suite("Intake throughput")
struct IntakeThroughputTests {
    @Test(arguments: StoreKind.allCases)
    func acceptBatchesOf500(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let batches = kind == .sqlite ? 40 : 10
            let clock = ContinuousClock()
            let elapsed = try await clock.measure {
                for batch in 0..<batches {
                    let items = (0..<500).map { command("tp-\(batch)-\($0)", amount: Int64(100 + $0)) }
                    let outcomes = try await fixture.store.accept(items, now: t0)
                    #expect(outcomes.allSatisfy { $0 == .accepted })
                }
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = Int(Double(batches * 500) / seconds)
            print("intake throughput (\(kind), batches of 500, \(batches * 500) commands): \(rate) commands/s")
            #expect(try await fixture.store.outboxBacklog() == batches * 500)
        }
    }
}
