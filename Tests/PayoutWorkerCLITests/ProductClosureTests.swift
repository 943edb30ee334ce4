import Foundation
import TestSupport
import Testing

/// The product, `payout-worker`, links none of the lab: not the Dollr sandbox, the disposable
/// PostgreSQL, the bench's C code or the embedded broker (librdkafka's mock cluster). Held twice:
/// in the package's manifest (the targets the product is built from) and in the binary the build
/// made. Each check also runs on `payout-lab`, where it must find what it looks for, so that a
/// search that can find nothing proves nothing.
@Suite("payout-worker links no lab code")
struct ProductClosureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The lab's own targets: only `payout-lab` and the tests may depend on them.
    static let labTargets: Set<String> = [
        "PayoutLab", "EmbeddedKafka", "DollrSandbox", "LocalPostgres", "CBenchCeilings",
    ]

    /// What a linked lab target leaves in a binary: Swift symbols and type metadata name their
    /// module as `<length><name>`; librdkafka's mock cluster and the bench's C loop are C symbols.
    static let labTraces = [
        "9PayoutLab", "13EmbeddedKafka", "12DollrSandbox", "13LocalPostgres", "rd_kafka_mock_",
        "bench_librdkafka_consume",
    ]

    /// `swift package dump-package`, in a scratch directory of its own so that it never waits
    /// for the build directory a running `swift test` holds.
    static func manifest() async throws -> [String: Any] {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let dump = try ChildProcess(
            URL(fileURLWithPath: "/usr/bin/env"),
            arguments: [
                "swift", "package", "--package-path", root.path, "--scratch-path", scratch.path, "dump-package",
            ]
        )
        let status = try await dump.waitForExit(within: .seconds(300))
        try #require(status == 0, "swift package dump-package: \(dump.stderr.suffix(2000))")
        let json = Data(dump.stdoutLines.elements.joined(separator: "\n").utf8)
        return try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    }

    /// Every target of this package that `target` depends on, directly or not, itself included.
    /// Products of other packages are left out: they cannot name a target of this one.
    static func closure(of target: String, in manifest: [String: Any]) throws -> Set<String> {
        let targets = try #require(manifest["targets"] as? [[String: Any]])
        var dependencies: [String: [String]] = [:]
        for entry in targets {
            let name = try #require(entry["name"] as? String)
            let declared = entry["dependencies"] as? [[String: Any]] ?? []
            dependencies[name] = declared.compactMap { dependency in
                ((dependency["byName"] ?? dependency["target"]) as? [Any])?.first as? String
            }
        }
        var reached: Set<String> = []
        var pending = [target]
        while let next = pending.popLast() {
            guard reached.insert(next).inserted else { continue }
            pending += (dependencies[next] ?? []).filter { dependencies[$0] != nil }
        }
        return reached
    }

    @Test("payout-worker is built from PayoutWorkerCLI, whose target closure holds no lab target")
    func targetClosure() async throws {
        let manifest = try await Self.manifest()
        let products = try #require(manifest["products"] as? [[String: Any]])
        let targets = Dictionary(
            products.compactMap { product in
                (product["name"] as? String).map { ($0, product["targets"] as? [String] ?? []) }
            }
        ) { first, _ in first }
        #expect(targets["payout-worker"] == ["PayoutWorkerCLI"])
        #expect(targets["payout-lab"] == ["PayoutLab"])

        let product = try Self.closure(of: "PayoutWorkerCLI", in: manifest)
        #expect(product.isSuperset(of: ["CommandSupport", "PayoutWorker", "Kafka", "Crdkafka"]), "\(product.sorted())")
        #expect(product.isDisjoint(with: Self.labTargets), "lab targets in payout-worker: \(product.sorted())")
        let lab = try Self.closure(of: "PayoutLab", in: manifest)
        #expect(lab.isSuperset(of: Self.labTargets), "\(lab.sorted())")
    }

    /// Which of ``labTraces`` a binary's symbol table (`nm`, defined and undefined symbols) and
    /// its bytes (what `strings` would print: type metadata, reflection names; `grep -a`) hold.
    static func labTraces(in binary: URL) async throws -> Set<String> {
        let symbols = try await runCommand("/usr/bin/nm", ["--no-demangle", binary.path])
        try #require(symbols.status == 0 && !symbols.output.isEmpty, "nm \(binary.path)")
        var found: Set<String> = []
        for trace in Self.labTraces {
            let bytes = try await runCommand(
                "/usr/bin/grep",
                ["--text", "--quiet", "--fixed-strings", trace, binary.path]
            )
            try #require(bytes.status == 0 || bytes.status == 1, "grep \(binary.path): exit \(bytes.status)")
            if symbols.output.contains(trace) || bytes.status == 0 { found.insert(trace) }
        }
        return found
    }

    @Test("the built payout-worker holds no mock-cluster, sandbox, local PostgreSQL, bench or lab symbol")
    func binaryHoldsNoLabCode() async throws {
        #expect(try await Self.labTraces(in: ChildProcess.payoutWorkerBinary).isEmpty)
        #expect(try await Self.labTraces(in: ChildProcess.payoutLabBinary) == Set(Self.labTraces))
    }
}
