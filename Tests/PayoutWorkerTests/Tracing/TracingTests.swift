import Foundation
import Kafka
import PayoutEngine
import TestSupport
import Testing

/// Traces as users see them in their tracing backend: two `payout-worker run` processes export over
/// OTLP/HTTP to scripts/otlp-receiver, which decodes with OpenTelemetry's own protobuf classes.
@Suite("Tracing through Kafka and Dollr (OTLP/HTTP)")
struct TracingTests {
    static let upstreamTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let upstreamSpan = "00f067aa0ba902b7"

    @Test(
        "one payout is one trace from the command's traceparent to ce_traceparent, continued by the worker that resumes it after a SIGKILL, with no secret or phone in any span"
    )
    func oneConnectedTrace() async throws {
        let receiver = try await OTLPReceiver.start()
        let env = try await RuntimeEnvironment.start()
        // PROCESSING long enough to kill the first worker mid-poll.
        env.sandbox.sandbox.updateFaults { $0.processingMs = 8_000 }
        let storeURL = env.configuration.storeURL
        let store = try await WorkerProcessTests.storeWithWallet(storeURL)
        let statuses = Recorder<KafkaMessage>()
        let (reader, readerTask) = try env.subscribe("payouts.status", into: statuses)
        let tracing = { (worker: String) in
            [
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_SERVICE_NAME": "payout-worker-test",
                "OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_RESOURCE_ATTRIBUTES": "worker.id=\(worker)",
                "PAYOUT_LOG_LEVEL": "info",
            ]
        }
        let first = try WorkerProcessTests.startWorker(
            env,
            id: "w1",
            storeURL: storeURL,
            directory: env.directory,
            environment: tracing("w1")
        )

        let reference = UUID()
        let key = reference.uuidString.lowercased()
        var command = Commands.record(reference)
        command.headers = [KafkaHeader(name: "traceparent", string: "00-\(Self.upstreamTrace)-\(Self.upstreamSpan)-01")]
        let producer = try env.producer()
        #expect(await producer.sendAll([command]).allSatisfy { (try? $0.get()) != nil })

        // Killed once Dollr has executed the payout and the first worker's spans of it are out.
        try await first.whileRunning("the payout executed", within: .seconds(120)) {
            while env.sandbox.sandbox.ledgerSnapshot().execution(key)?.accepted != true {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        try await eventually("the first worker's execute span exported", within: .seconds(60)) {
            receiver.spans.contains { $0.name == "payout execute" && $0.resource["worker.id"] == "w1" }
        }
        first.signal(SIGKILL)
        _ = try await first.waitForExit()

        let second = try WorkerProcessTests.startWorker(
            env,
            id: "w2",
            storeURL: storeURL,
            directory: env.directory,
            environment: tracing("w2")
        )
        try await second.whileRunning("COMPLETED published", within: .seconds(120)) {
            await statuses.wait {
                $0.contains { $0.header("ce_subject") == key && $0.json["status"] as? String == "COMPLETED" }
            }
        }
        try await second.waitUntilLive()
        second.signal(SIGTERM)  // a graceful stop exports what is left
        #expect(try await second.waitForExit(within: .seconds(60)) == 0, "\(second.stderr.suffix(1500))")

        // Every status event carries the payout's trace.
        let events = statuses.elements.filter { $0.header("ce_subject") == key }
        #expect(
            !events.isEmpty
                && events.allSatisfy { $0.header("ce_traceparent")?.hasPrefix("00-\(Self.upstreamTrace)-") == true },
            "\(events.map { $0.header("ce_traceparent") ?? "none" })"
        )

        let spans = receiver.spans.filter { $0.traceID == Self.upstreamTrace }
        // The resuming worker reads the command again too (its offset was never committed): that
        // intake span says `redelivered`, in the same trace. The payout's is the one that accepted it.
        let intake = try #require(
            spans.first { $0.name == "payout intake" && $0.attributes["payout.intake.result"] == "accepted" },
            "no intake span: \(spans.map(\.name))"
        )
        #expect(intake.parentSpanID == Self.upstreamSpan && intake.kind == 5, "the command's traceparent is the parent")
        #expect(
            intake.attributes["payout.reference_id"] == key && intake.attributes["payout.intake.result"] == "accepted"
        )
        let batch = try #require(
            receiver.spans.first { $0.name == "payout intake batch" && intake.links.map(\.spanID).contains($0.spanID) }
        )
        #expect(batch.attributes["messaging.batch.message_count"] == "1")
        #expect(events.allSatisfy { $0.header("ce_traceparent") == "00-\(Self.upstreamTrace)-\(intake.spanID)-01" })

        #expect(spans.filter { $0.name == "payout intake" }.allSatisfy { $0.parentSpanID == Self.upstreamSpan })
        let steps = spans.filter { $0.name.hasPrefix("payout ") && $0.name != "payout intake" }
        #expect(
            steps.allSatisfy { $0.parentSpanID == intake.spanID },
            "each step hangs off the payout: \(steps.map(\.name))"
        )
        #expect(steps.contains { $0.name == "payout execute" && $0.resource["worker.id"] == "w1" })
        #expect(
            steps.contains {
                $0.name == "payout status" && $0.resource["worker.id"] == "w2"
                    && $0.attributes["payout.status"] == "COMPLETED"
            },
            "the resuming worker continues the same trace"
        )

        let stepIDs = Set(steps.map(\.spanID))
        let calls = spans.filter { $0.kind == 3 }
        let execute = try #require(calls.first { $0.name == "POST /v1/executions/payout" }, "\(calls.map(\.name))")
        #expect(stepIDs.contains(execute.parentSpanID) && execute.attributes["http.request.method"] == "POST")
        #expect(
            execute.attributes["http.response.status_code"] != nil
                && execute.attributes["server.address"] == "127.0.0.1"
        )
        #expect(
            calls.contains { $0.name == "GET /v1/status/payout/{reference_id}" && $0.resource["worker.id"] == "w2" }
        )
        #expect(
            calls.filter { $0.resource["worker.id"] == "w2" }.allSatisfy { stepIDs.contains($0.parentSpanID) },
            "every call inside a step"
        )
        #expect(
            calls.allSatisfy { $0.name.contains(" /v1/") },
            "one client span per call, named by its route: \(calls.map(\.name))"
        )

        let sends = spans.filter { $0.kind == 4 }
        #expect(
            Set(sends.compactMap { $0.attributes["payout.status"] }).isSuperset(of: ["ACCEPTED", "COMPLETED"]),
            "\(sends.map(\.attributes))"
        )
        for send in sends {
            #expect(send.name == "send payouts.status" && send.parentSpanID == intake.spanID)
            #expect(
                send.attributes["messaging.system"] == "kafka"
                    && send.attributes["messaging.destination.name"] == "payouts.status"
            )
            #expect(
                send.attributes["messaging.message.id"]?.hasPrefix("\(key):") == true
                    && send.attributes["messaging.kafka.offset"] != nil
            )
        }

        // Nothing a span carries is a secret or a phone number.
        for span in receiver.spans {
            let text = ([span.name] + span.attributes.keys + span.attributes.values).joined(separator: " ")
            for secret in ["231771234567", "231770000001", "sandbox-secret", "Bearer", "passcode"] {
                #expect(!text.contains(secret), "\(span.name) carries \(secret)")
            }
        }
        // Log lines written in the payout's trace say so.
        #expect(second.stderr.contains("trace_id=\(Self.upstreamTrace)"), "\(second.stderr.suffix(1500))")

        await reader.close()
        _ = try? await readerTask.value
        await producer.close()
        await store.close()
        await env.stop()
        await receiver.stop()
    }
}
