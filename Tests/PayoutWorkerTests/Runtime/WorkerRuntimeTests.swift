import DollrClient
import EmbeddedKafka
import Foundation
import Kafka
import PayoutEngine
import PayoutWorker
import TestSupport
import Testing

@Suite("Worker runtime end to end")
struct WorkerRuntimeTests {
    @Test("commands in, one final CloudEvents status per payout out, duplicates re-emitted, bad records dead-lettered")
    func endToEnd() async throws {
        let env = try await RuntimeEnvironment.start()
        let (runtime, running) = try await env.startRuntime()
        let outputs = try env.readOutputs()
        let statuses = outputs.statuses
        let deadLetters = outputs.deadLetters

        let references = (0..<60).map { _ in UUID() }
        let producer = try env.producer()
        var records = references.map { Commands.record($0) }
        records.append(KafkaProducerRecord(topic: "payouts.commands", key: nil, value: Array("{not json".utf8)))
        let upstream = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"  // a W3C traceparent from upstream
        var conflicting = Commands.record(references[0], amount: "99.00")  // conflicting duplicate
        conflicting.headers = [KafkaHeader(name: "traceparent", string: upstream)]
        records.append(conflicting)
        records.append(
            KafkaProducerRecord(  // readable, but with no reference_id to answer under
                topic: "payouts.commands",
                key: Array("no-reference".utf8),
                value: Array(#"{"amount":"1.00","currency":"USD"}"#.utf8)
            )
        )
        let rejected = UUID()  // a usable reference_id with an invalid amount: answered REJECTED, not dead-lettered
        var invalid = Commands.record(rejected, amount: "-5.00")
        invalid.headers = [KafkaHeader(name: "traceparent", string: upstream)]
        records.append(invalid)
        #expect(await producer.sendAll(records).allSatisfy { (try? $0.get()) != nil })
        let rejectedKey = rejected.uuidString.lowercased()

        let keys = Set(references.map { $0.uuidString.lowercased() })
        try await withDeadline(.seconds(90), "a final status for every payout") {
            await statuses.wait { messages in
                Set(
                    messages.filter { ["COMPLETED", "FAILED"].contains($0.json["status"] as? String) }.compactMap {
                        $0.json["reference_id"] as? String
                    }
                ) == keys
            }
        }
        try await withDeadline(.seconds(60), "three dead letters") { await deadLetters.wait { $0.count == 3 } }
        try await withDeadline(.seconds(60), "the invalid command answered REJECTED") {
            await statuses.wait {
                $0.contains { $0.header("ce_subject") == rejectedKey && $0.json["status"] as? String == "REJECTED" }
            }
        }

        // An identical duplicate after completion re-emits the final event with the same id.
        #expect(await producer.sendAll([Commands.record(references[1])]).allSatisfy { (try? $0.get()) != nil })
        let reference1 = references[1].uuidString.lowercased()
        try await withDeadline(.seconds(60), "re-emitted event") {
            await statuses.wait {
                $0.filter { $0.header("ce_subject") == reference1 && $0.json["status"] as? String == "COMPLETED" }.count
                    == 2
            }
        }

        let all = statuses.elements
        for message in all {
            let body = message.json
            let reference = try #require(body["reference_id"] as? String)
            let sequence = try #require(body["sequence"] as? Int)
            #expect(message.keyString == reference, "keyed by reference_id")
            #expect(message.header("ce_specversion") == "1.0")
            #expect(message.header("ce_id") == "\(reference):\(sequence)")
            #expect(message.header("ce_type") == "payout.status.v1")
            #expect(message.header("ce_source") == "payout-worker")
            #expect(message.header("ce_subject") == reference)
            #expect(message.header("content-type") == "application/json")
            #expect(message.header("ce_time")?.hasSuffix("Z") == true)
            #expect(
                !String(decoding: message.value ?? [], as: UTF8.self).contains("231771234567"),
                "no phone in events"
            )
            // The value's schema, exactly.
            #expect(
                Set(body.keys) == [
                    "reference_id", "sequence", "status", "amount", "currency", "reason", "provider", "occurred_at",
                ],
                "\(body.keys)"
            )
            let status = body["status"] as? String
            #expect((body["occurred_at"] as? String)?.hasSuffix("Z") == true)
            #expect(
                status == "REJECTED" || body["currency"] as? String == "USD",
                "only a rejection may lack what it could not read"
            )
            if status == "COMPLETED" {
                #expect(body["reason"] is NSNull && body["amount"] as? String == "10.00")
                let provider = try #require(
                    body["provider"] as? [String: Any],
                    "COMPLETED names Dollr's session, wallet and transaction"
                )
                #expect(
                    Set(provider.keys) == ["session_id", "wallet_id", "transaction_id", "status"]
                        && provider["status"] as? String == "COMPLETED"
                )
                #expect(provider["transaction_id"] is String && provider["session_id"] is String)
            }
            if status == "REJECTED" {
                let reason = try #require(body["reason"] as? [String: Any])
                #expect(
                    reason["code"] as? String == "VALIDATION_ERROR" && (reason["message"] as? String)?.isEmpty == false
                )
                #expect(body["provider"] is NSNull, "never sent to Dollr")
            }
        }
        // The store is where every status event comes from: no payout recorded, no event ever.
        #expect(
            try await runtime.store.payout(referenceID: "no-reference") == nil,
            "a command without a reference_id is not a payout"
        )
        #expect(
            !all.contains { $0.keyString == "no-reference" },
            "a command without a reference_id gets no status event"
        )
        for reference in keys {
            let sequences = all.filter { $0.header("ce_subject") == reference }.compactMap {
                $0.json["sequence"] as? Int
            }
            #expect(sequences == sequences.sorted(), "events of \(reference) in sequence order")
            #expect(sequences.first == 1)
        }
        let completed = all.filter {
            $0.header("ce_subject") == reference1 && $0.json["status"] as? String == "COMPLETED"
        }
        #expect(Set(completed.map { $0.header("ce_id") }).count == 1, "a re-emitted event keeps its id")

        let reasons = deadLetters.elements.compactMap { $0.header("dlq.reason") }.sorted()
        #expect(reasons == ["IDEMPOTENCY_CONFLICT", "VALIDATION_ERROR", "VALIDATION_ERROR"])
        for letter in deadLetters.elements {
            #expect(letter.header("dlq.original.topic") == "payouts.commands")
            #expect(letter.header("dlq.original.partition") != nil && letter.header("dlq.original.offset") != nil)
            #expect(
                letter.headers.allSatisfy { !($0.stringValue ?? "").contains("231771234567") },
                "no phone in dead-letter headers"
            )
        }
        let conflict = try #require(deadLetters.elements.first { $0.header("dlq.reason") == "IDEMPOTENCY_CONFLICT" })
        #expect(conflict.value == Commands.record(references[0], amount: "99.00").value, "the original value is kept")
        #expect(conflict.keyString == references[0].uuidString.lowercased(), "the original key is kept")
        #expect(
            conflict.header("traceparent") == upstream,
            "the original headers are kept, its trace context with them"
        )
        // Tracing is off here: a command's own traceparent is still passed on as ce_traceparent.
        let rejection = try #require(all.first { $0.header("ce_subject") == rejectedKey })
        #expect(rejection.header("ce_traceparent") == upstream)
        #expect(all.filter { $0.header("ce_subject") != rejectedKey }.allSatisfy { $0.header("ce_traceparent") == nil })
        #expect(
            deadLetters.elements.contains { $0.keyString == "no-reference" },
            "the record without a reference_id is dead-lettered under its key"
        )
        #expect(
            env.sandbox.sandbox.ledgerSnapshot().execution(rejectedKey) == nil,
            "a rejected command never reaches Dollr"
        )

        // The contracts, judged by python3-jsonschema on every record read from the topics.
        let values = all.map { String(decoding: $0.value ?? [], as: UTF8.self) }
        for (value, problem) in zip(
            values,
            try await ContractValidator.problems(values, against: "payout-status-event.schema.json")
        ) {
            #expect(problem == nil, "\(value): \(problem ?? "")")
        }
        let headers = try deadLetters.elements.map { letter in
            let object = Dictionary(letter.headers.map { ($0.name, $0.stringValue ?? "") }) { _, last in last }
            return String(
                decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
                as: UTF8.self
            )
        }
        for (header, problem) in zip(
            headers,
            try await ContractValidator.problems(headers, against: "dead-letter-headers.schema.json")
        ) {
            #expect(problem == nil, "\(header): \(problem ?? "")")
        }

        // Ground truth: each payout executed exactly once at Dollr.
        let ledger = env.sandbox.sandbox.ledgerSnapshot()
        #expect(keys.allSatisfy { ledger.execution($0)?.executeCalls == 1 })

        await runtime.shutdown()
        try await running.value
        await outputs.close()
        await producer.close()
        await env.stop()
    }

    @Test("while Dollr rate-limits, payouts wait instead of failing, and finish once it stops")
    func rateLimitedPayoutsWait() async throws {
        let env = try await RuntimeEnvironment.start()
        env.sandbox.sandbox.updateFaults {
            $0.p429 = 1
            $0.retryAfterSeconds = 1
        }
        let (runtime, running) = try await env.startRuntime()
        let references = (0..<20).map { _ in UUID() }
        let producer = try env.producer()
        #expect(await producer.sendAll(references.map { Commands.record($0) }).allSatisfy { (try? $0.get()) != nil })

        let engine = runtime.engine
        let store = runtime.store
        try await eventually("the engine notices the rate limit", within: .seconds(60)) {
            engine.health.rateLimitedUntil != nil
        }
        try await eventually("every command recorded", within: .seconds(60)) {
            (try? await store.countsByStatus())?.values.reduce(0, +) == 20
        }
        #expect(try await store.countsByStatus()[.failed, default: 0] == 0, "a 429 never fails a payout")
        #expect(env.sandbox.sandbox.ledgerSnapshot().executions.isEmpty)
        // One more while limited: recording it is intake's last step before it pauses with an
        // empty buffer, and it must not wait there for a batch that paused partitions never deliver.
        let late = UUID()
        _ = try await producer.send(Commands.record(late))
        try await eventually("the late command recorded", within: .seconds(60)) {
            (try? await store.payout(referenceID: late.uuidString.lowercased())) != nil
        }

        env.sandbox.sandbox.updateFaults { $0.p429 = 0 }
        try await eventually("every payout completed once the limit lifts", within: .seconds(90)) {
            (try? await store.countsByStatus())?[.completed] == 21
        }
        // Intake resumed by itself: commands published after the limit lifted are consumed too.
        let after = (0..<5).map { _ in UUID() }
        #expect(await producer.sendAll(after.map { Commands.record($0) }).allSatisfy { (try? $0.get()) != nil })
        try await eventually("intake resumed and the new payouts completed", within: .seconds(60)) {
            (try? await store.countsByStatus())?[.completed] == 26
        }
        let ledger = env.sandbox.sandbox.ledgerSnapshot()
        #expect(references.allSatisfy { ledger.execution($0.uuidString.lowercased())?.executeCalls == 1 })
        await runtime.shutdown()
        try await running.value
        await producer.close()
        await env.stop()
    }
}

@Suite("Worker runtime: an unreachable dead-letter topic")
struct DeadLetterOutageTests {
    @Test("only the unacknowledged dead letters are sent again: the batch's payouts are not answered twice")
    func deadLettersAloneAreRetried() async throws {
        var env = try await RuntimeEnvironment.start()
        // The broker refuses the dead-letter topic (as an ACL would), so each dead letter fails
        // at once, until the refusal is lifted below; metadata is refreshed often to notice that.
        let topic = env.configuration.kafka.deadLetterTopic
        let topicAuthorizationFailed = KafkaError.Code(rawValue: 29)
        let noError = KafkaError.Code(rawValue: 0)
        await env.cluster.setTopicError(topic, topicAuthorizationFailed)
        env.configuration.kafka.producerProperties["topic.metadata.refresh.interval.ms"] = "200"
        env.configuration.kafka.producerProperties["message.timeout.ms"] = "1000"
        let logs = LogCapture()
        let runtime = try await PayoutWorkerRuntime(
            configuration: env.configuration,
            logger: logs.logger("worker"),
            handleSignals: false
        )
        try await runtime.store.setWallet(id: "1", currency: "USD", balanceMinor: 10_000_000, now: 0)
        let running = Task { try await runtime.run() }

        let references = (0..<20).map { _ in UUID() }
        let producer = try env.producer()
        var records = references.map { Commands.record($0) }
        records.append(
            KafkaProducerRecord(
                topic: "payouts.commands",
                key: Array("unreadable".utf8),
                value: Array("{not json".utf8)
            )
        )
        #expect(await producer.sendAll(records).allSatisfy { (try? $0.get()) != nil })

        try await eventually("a dead letter failed", within: .seconds(60)) {
            logs.all.contains { $0.contains("dead letter not acknowledged") || $0.contains("intake batch failed") }
        }
        try await eventually("further attempts failed too", within: .seconds(60)) {
            logs.all.filter { $0.contains("retrying") }.count >= 3
        }
        await env.cluster.setTopicError(topic, noError)
        let deadLetters = Recorder<KafkaMessage>()
        let (reader, readerTask) = try env.subscribe(topic, into: deadLetters)
        try await withDeadline(.seconds(60), "the dead letter, once the topic is allowed") {
            await deadLetters.wait { !$0.isEmpty }
        }
        #expect(deadLetters.elements.count == 1 && deadLetters.elements[0].keyString == "unreadable")

        let scrape = runtime.metrics.render()
        #expect(
            scrape.contains(#"payout_commands_total{result="duplicate"} 0"#),
            "no command was answered twice:\n\(scrape)"
        )
        #expect(scrape.contains(#"payout_commands_total{result="accepted"} 20"#))
        #expect(try await runtime.store.countsByStatus().values.reduce(0, +) == 20)
        let store = runtime.store
        for reference in references {
            let accepted = try await store.events(referenceID: reference.uuidString.lowercased()).filter {
                $0.status == .accepted
            }
            #expect(accepted.count == 1)
        }
        await runtime.shutdown()
        try await running.value
        await reader.close()
        _ = try? await readerTask.value
        await producer.close()
        await env.stop()
    }
}
