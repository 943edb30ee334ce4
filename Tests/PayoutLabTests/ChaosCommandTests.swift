import Foundation
import TestSupport
import Testing

/// The short chaos soak CI runs on every submission (the long one is in docs/reliability.md): worker
/// processes killed and restarted, the broker down, the sandbox paused and faulty, and every
/// invariant checked by the command itself against the sandbox's ledger and the topics. Run with
/// recognisable secrets at trace level, so the same run proves none of them leaks.
@Suite("payout-lab chaos")
struct ChaosCommandTests {
    @Test(
        "a short soak with kills and faults: every invariant holds, and no secret or phone reaches a log, event or dead letter"
    )
    func shortSoak() async throws {
        let secret = "SECRET-ch405-Zz8"
        let passcode = "615243"
        let merchantPhone = "231779990002"
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent(
            "chaos-test-\(UUID().uuidString.prefix(8))"
        )
        var keepArtifacts = false
        defer { if !keepArtifacts { try? FileManager.default.removeItem(at: artifacts) } }
        let chaos = try ChildProcess(
            ChildProcess.payoutLabBinary,
            arguments: [
                "chaos", "--seed", "11", "--commands", "300", "--workers", "3", "--duration", "15", "--settle-timeout",
                "120",
                "--artifacts", artifacts.path, "--worker-log-level", "trace", "--log-level", "trace",
            ],
            environment: [
                "DOLLR_CLIENT_SECRET": secret, "MERCHANT_PASSCODE": passcode, "MERCHANT_PASSCODE_PHONE": merchantPhone,
            ]
        )
        let status = try await chaos.waitForExit(within: .seconds(300))
        let line = chaos.stdoutLines.elements.last ?? ""
        keepArtifacts = status != 0  // worker logs and topic contents, for whoever investigates
        #expect(
            status == 0,
            "chaos failed (artifacts kept in \(artifacts.path)): \(line)\n\(chaos.stderr.split(separator: "\n").filter { $0.hasPrefix("VIOLATION") }.joined(separator: "\n"))"
        )
        let figures = Dictionary(
            line.split(separator: " ").dropFirst().compactMap { pair -> (String, Int)? in
                let parts = pair.split(separator: "=")
                guard parts.count == 2, let value = Int(parts[1]) else { return nil }
                return (String(parts[0]), value)
            }
        ) { first, _ in first }
        #expect(figures["violations"] == 0)
        #expect(figures["kills", default: 0] >= 2, "workers were killed: \(line)")
        #expect(
            figures["sigterms", default: 0] >= 1,
            "workers were stopped with SIGTERM (each drain's exit is checked): \(line)"
        )
        #expect(
            figures["faults", default: 0] > 0 && figures["broker_outages", default: 0] >= 1
                && figures["sandbox_pauses", default: 0] >= 1
        )
        #expect(figures["completed", default: 0] > 0 && figures["dead_letters", default: 0] > 0)

        // Every worker log (trace), the run's own output, every status event and every
        // dead-letter header, scanned for the secrets and for phone numbers.
        var everything = chaos.stderr + line
        for file in try FileManager.default.contentsOfDirectory(atPath: artifacts.path)
        where file.hasSuffix(".log") || file.hasSuffix(".jsonl") {
            everything += try String(contentsOf: artifacts.appendingPathComponent(file), encoding: .utf8)
        }
        #expect(everything.count > 100_000, "trace logs and topic contents were captured")
        #expect(
            everything.contains("payout.status.v1") && everything.contains("dlq.reason"),
            "status events and dead letters were captured"
        )
        #expect(!everything.contains(secret))
        #expect(!everything.contains(passcode))
        #expect(!everything.contains(merchantPhone))
        // A phone is a token of its own: PostgresNIO's trace logs dump bytes as long hex runs, which
        // can hold "2317" and eight decimal digits by chance.
        #expect(
            everything.firstMatch(of: /(?:^|[^0-9A-Fa-f])2317\d{8}(?!\d)/) == nil,
            "a recipient phone reached a log, an event or a dead-letter header"
        )
        #expect(everything.firstMatch(of: /sbx_[0-9a-f]{16,}/) == nil, "an access token reached a log")
        // Drivers that dump bytes write text as hex: look for the same values in that form too.
        let hex = everything.lowercased()
        for value in [secret, passcode, merchantPhone] {
            #expect(!hex.contains(Self.hexOfUTF8(value)), "a secret reached a log as hex")
        }
        #expect(hex.firstMatch(of: /32333137(?:3[0-9]){8}/) == nil, "a recipient phone reached a log as hex")

        // The contracts, judged by python3-jsonschema on every record the run's readers kept.
        func kept(_ file: String) throws -> [[String: Any]] {
            try String(contentsOf: artifacts.appendingPathComponent(file), encoding: .utf8).split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }
        let values = try kept("status-events.jsonl").compactMap { $0["value"] as? String }
        #expect(
            values.count == figures["events", default: 0] + figures["reader_rereads", default: 0],
            "every status record read was kept"
        )
        for (value, problem) in zip(
            values,
            try await ContractValidator.problems(values, against: "payout-status-event.schema.json")
        ) where problem != nil {
            Issue.record("status event against its contract: \(problem!): \(value)")
        }
        let headers = try kept("dead-letter-headers.jsonl").map { record in
            let pairs = (record["headers"] as? [[String: String]] ?? []).flatMap { $0.map { ($0.key, $0.value) } }
            let object = Dictionary(pairs) { _, last in last }
            return String(
                decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
                as: UTF8.self
            )
        }
        #expect(!headers.isEmpty)
        for (header, problem) in zip(
            headers,
            try await ContractValidator.problems(headers, against: "dead-letter-headers.schema.json")
        ) where problem != nil {
            Issue.record("dead-letter headers against their contract: \(problem!): \(header)")
        }
    }

    @Test("children end with their parent: a chaos run SIGKILLed leaves no worker or broker process behind")
    func childrenEndWithTheirParent() async throws {
        let chaos = try ChildProcess(
            ChildProcess.payoutLabBinary,
            arguments: [
                "chaos", "--seed", "7", "--commands", "300", "--workers", "2", "--duration", "120", "--settle-timeout",
                "10",
            ]
        )
        // The broker and both workers are up once the run announces its workload.
        try await chaos.stderrLine(containing: "commands (", within: .seconds(120))
        // A worker the schedule has just killed is back within seconds: wait for all three.
        let parent = chaos.processIdentifier
        try await eventually("a broker and two workers running", within: .seconds(60)) {
            Self.payoutChildren(of: parent).filter(Self.isRunning).count == 3
        }
        let children = Self.payoutChildren(of: parent)

        chaos.signal(SIGKILL)
        _ = try await chaos.waitForExit()
        try await eventually("the orphans gone", within: .seconds(40)) {
            children.allSatisfy { !Self.isRunning($0) }
        }
    }

    /// `payout-worker` and `payout-lab` processes (the workers and the broker) whose parent is
    /// `parent`, from /proc.
    static func payoutChildren(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 2
            else { return false }
            return Int32(fields[1]) == parent && (stat.contains("(payout-worker)") || stat.contains("(payout-lab)"))
        }
    }

    /// Alive and not a zombie (an orphan's zombie waits for a reaper that may not exist in a container).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let state = stat.split(separator: ")").last?.split(separator: " ").first
        else { return false }
        return state != "Z" && state != "X"
    }

    static func hexOfUTF8(_ text: String) -> String {
        text.utf8.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
