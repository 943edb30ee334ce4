import DollrClient
import Foundation
import Kafka
import PayoutEngine
import PayoutWorker
import TestSupport

/// A running worker whose console has three payouts waiting in review: two plain ones and one
/// whose upstream text is hostile markup. Dollr keeps them PROCESSING for ten minutes of its
/// clock, and the engine's polling budget is 300 ms, so each ends REQUIRES_REVIEW.
struct ConsoleFixture {
    static let token = "console-test-token-6f1c2a9e40b7d3"
    /// The hostile command's phone; no page may show it.
    static let hostilePhone = "231779876543"

    let env: RuntimeEnvironment
    let runtime: PayoutWorkerRuntime
    let running: Task<Void, any Error>
    let outputs: OutputReaders
    let port: Int
    /// Under review: two plain payouts, then the hostile one.
    let references: [String]
    var http: ConsoleHTTP { ConsoleHTTP(port: port) }
    var store: any PayoutStore { runtime.store }
    var hostile: String { references[2] }

    static func start(withToken: Bool = true) async throws -> ConsoleFixture {
        var env = try await RuntimeEnvironment.start()
        env.sandbox.sandbox.updateFaults { $0.processingMs = 600_000 }
        env.configuration.engine.policy.pollBudgetMilliseconds = 300
        if withToken { env.configuration.admin.token = Secret(token) }
        let outputs = try env.readOutputs()
        let (runtime, running) = try await env.startRuntime()
        let references = (0..<3).map { _ in UUID() }
        let hostileJSON =
            #"{"reference_id":"\#(references[2].uuidString.lowercased())","amount":"12.50","currency":"USD","metadata":{"invoice":"<script>window.__xss=1</script>","memo":"\"><img src=x onerror=alert(1)>"},"recipient":{"account_name":"<b>Eve</b> O'Hara","party_id":7,"phone":"\#(hostilePhone)","provider":"MTN_MOMO_LBR","method":"MTN_MOMO_LBR","country_code":"LR"}}"#
        let producer = try env.producer()
        let records =
            [Commands.record(references[0]), Commands.record(references[1])]
            + [
                KafkaProducerRecord(
                    topic: "payouts.commands",
                    key: references[2].uuidString.lowercased(),
                    value: Array(hostileJSON.utf8)
                )
            ]
        let delivered = await producer.sendAll(records)
        await producer.close()
        guard delivered.allSatisfy({ (try? $0.get()) != nil }) else { throw FixtureFailure("commands not delivered") }
        let keys = references.map { $0.uuidString.lowercased() }
        let store = runtime.store
        try await eventually("three payouts in review", within: .seconds(90)) {
            for key in keys where (try? await store.payout(referenceID: key))?.status != .requiresReview {
                return false
            }
            return true
        }
        guard let port = await runtime.waitForAdminPort() else {
            throw FixtureFailure("the admin server did not listen")
        }
        return ConsoleFixture(
            env: env,
            runtime: runtime,
            running: running,
            outputs: outputs,
            port: port,
            references: keys
        )
    }

    /// A kept dead letter whose value holds a phone and whose detail is markup.
    func keepDeadLetter() async throws {
        try await store.keepDeadLetters([
            KeptDeadLetter(
                sourceTopic: "payouts.commands",
                sourcePartition: 0,
                sourceOffset: 7,
                key: Array("k".utf8),
                value: Array(#"{"phone":"231770000001"}"#.utf8),
                headers: [],
                reason: "UNPARSEABLE",
                detail: "<i>not json</i>",
                error: "MSG_SIZE_TOO_LARGE",
                worker: "w1",
                keptAt: StoreClock.system.now()
            )
        ])
    }

    /// Signs in through the form as a browser would; returns the session cookie.
    func signIn() async throws -> String {
        let answer = try await http.post("/console/sign-in", form: [("token", Self.token)])
        guard answer.status == 303, let cookie = answer.header("set-cookie")?.split(separator: ";").first else {
            throw FixtureFailure("sign-in answered \(answer.status)")
        }
        return String(cookie)
    }

    /// The terminal event the workers published for `reference`, once they have.
    func terminalEvent(_ reference: String, status: String) async throws -> KafkaMessage {
        let statuses = outputs.statuses
        try await withDeadline(.seconds(60), "\(status) published for \(reference)") {
            await statuses.wait {
                $0.contains { $0.header("ce_subject") == reference && $0.json["status"] as? String == status }
            }
        }
        return statuses.elements.first {
            $0.header("ce_subject") == reference && $0.json["status"] as? String == status
        }!
    }

    func stop() async {
        await runtime.shutdown()
        _ = try? await running.value
        await outputs.close()
        await env.stop()
    }
}

struct FixtureFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
