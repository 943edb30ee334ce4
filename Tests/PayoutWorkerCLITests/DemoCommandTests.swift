import Foundation
import TestSupport
import Testing

@Suite("payout-worker demo")
struct DemoCommandTests {
    @Test("runs the whole system embedded and exits 0 with every invariant holding")
    func demoHoldsItsInvariants() async throws {
        let demo = try ChildProcess(ChildProcess.payoutWorkerBinary, arguments: ["demo", "--commands", "150", "--seed", "7"])
        let status = try await demo.waitForExit(within: .seconds(180))
        let output = demo.stdoutLines.elements.joined(separator: "\n")
        #expect(status == 0, "demo failed:\n\(output)\n\(demo.stderr.suffix(2000))")
        #expect(output.contains("all invariants hold"))
        #expect(!output.contains("VIOLATION"))
        #expect(output.contains("COMPLETED"))
        #expect(output.contains("INSUFFICIENT_FUNDS"), "the declared wallets are too small for every payout")
    }
}
