import DollrClient
import DollrSandbox
import Foundation
import PayoutEngine
import TestSupport
import Testing

/// Health that only payout calls can refresh goes stale on an idle worker, or on one whose intake
/// is paused for the very outage it should notice ending.
@Suite("Provider probe")
struct ProviderProbeTests {
    @Test(
        "an idle engine notices Dollr failing and recovering, and never touches a payout doing so",
        arguments: [StoreKind.sqlite]
    )
    func idleEngineFollowsDollr(kind: StoreKind) async throws {
        try await EngineHarness.run(kind) { h in
            let engine = h.engine(probeInterval: .milliseconds(50))
            let running = Task { await engine.run() }
            defer { running.cancel() }
            let sandbox = h.server.sandbox
            sandbox.updateFaults { $0.p5xx = 1 }
            try await eventually("Dollr seen unavailable with nothing in flight", within: .seconds(30)) {
                engine.health.providerUnavailable
            }
            sandbox.updateFaults { $0.p5xx = 0 }
            try await eventually("Dollr seen answering again", within: .seconds(30)) {
                !engine.health.providerUnavailable
            }
            engine.stop()
            await running.value
            #expect(sandbox.ledgerSnapshot().executions.isEmpty, "the probe only reads")
        }
    }
}
