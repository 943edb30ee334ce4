import Foundation
import Kafka
import PayoutEngine
import PayoutWorker
import TestSupport
import Testing
import Yams

/// contracts/: the AsyncAPI document agrees with the worker's topics and records, every reference
/// in it resolves, and each JSON Schema is a valid draft 2020-12 schema by python3-jsonschema's
/// own check. (Records are checked against the schemas where tests read them from the topics.)
@Suite("contracts/")
struct ContractFileTests {
    static func asyncAPI() throws -> Node {
        try #require(try Yams.compose(yaml: try Repository.text("contracts/asyncapi.yaml")))
    }

    @Test("the AsyncAPI 3.0 document names the worker's default topics, and every reference in it resolves")
    func asyncAPIDocument() throws {
        let document = try Self.asyncAPI()
        #expect(document["asyncapi"]?.string == "3.0.0")
        let kafka = WorkerConfiguration().kafka
        let addresses = (document["channels"]?.mapping ?? [:]).compactMap { $0.value["address"]?.string }
        #expect(Set(addresses) == [kafka.commandsTopic, kafka.statusTopic, kafka.deadLetterTopic])

        var references: [String] = []
        func collect(_ node: Node) {
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    if key.string == "$ref", let reference = value.string {
                        references.append(reference)
                    } else {
                        collect(value)
                    }
                }
            case .sequence(let sequence): sequence.forEach(collect)
            default: break
            }
        }
        collect(document)
        #expect(references.count >= 9)
        for reference in references {
            if reference.hasPrefix("./") {
                #expect(
                    FileManager.default.fileExists(atPath: Repository.path("contracts/" + reference.dropFirst(2))),
                    "\(reference)"
                )
            } else {
                let path = try #require(
                    reference.hasPrefix("#/") ? reference.dropFirst(2).split(separator: "/") : nil,
                    "\(reference)"
                )
                var node: Node? = document
                for part in path { node = node?[String(part)] }
                #expect(node != nil, "\(reference) resolves")
            }
        }
    }

    @Test("the status event's headers in the document are exactly the headers the relay sends")
    func statusHeaders() throws {
        let headers = try #require(try Self.asyncAPI()["components"]?["messages"]?["statusEvent"]?["headers"])
        let event = StoredEvent(
            referenceID: "3f2b8c1e-8d4a-4c6e-9b1a-2f7d5e6c8a90",
            sequence: 2,
            status: .pending,
            payload: "{}",
            occurredAt: 0
        )
        let record = StatusEventRecord.record(event, topic: "payouts.status", source: "payout-worker")
        #expect(Set(headers["required"]?.sequence?.compactMap(\.string) ?? []) == Set(record.headers.map(\.name)))
        // With a trace: ce_traceparent too, matching the document's pattern.
        var traced = event
        traced.traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let tracedRecord = StatusEventRecord.record(traced, topic: "payouts.status", source: "payout-worker")
        let documented = Set((headers["properties"]?.mapping ?? [:]).keys.compactMap(\.string))
        #expect(Set(tracedRecord.headers.map(\.name)) == Set(record.headers.map(\.name)).union(["ce_traceparent"]))
        #expect(documented == Set(tracedRecord.headers.map(\.name)), "every header sent is documented, and only those")
        let pattern = try #require(headers["properties"]?["ce_traceparent"]?["pattern"]?.string)
        #expect(
            tracedRecord.headers.first { $0.name == "ce_traceparent" }?.stringValue?.wholeMatch(of: try Regex(pattern))
                != nil
        )
        #expect(headers["properties"]?["ce_type"]?["const"]?.string == StatusEventRecord.type)
        let ceID = try #require(headers["properties"]?["ce_id"]?["pattern"]?.string)
        #expect(record.headers.first { $0.name == "ce_id" }?.stringValue?.wholeMatch(of: try Regex(ceID)) != nil)
    }

    @Test(
        "each schema in contracts/ is a valid JSON Schema draft 2020-12",
        arguments: [
            "payout-command.schema.json", "payout-status-event.schema.json", "dead-letter-headers.schema.json",
        ]
    )
    func schemasAreValid(schema: String) async throws {
        // scripts/validate-json checks the schema itself first and fails if it is not valid.
        let verdicts = try await ContractValidator.problems(["{}"], against: schema)
        #expect(verdicts.count == 1 && verdicts[0] != nil, "an empty object is no \(schema)")
    }
}
