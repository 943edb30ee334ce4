import ArgumentParser
import CommandSupport
import Foundation
import Logging

/// `payout-lab bench`: performance figures. It starts its own embedded broker, sandbox and store
/// and runs each scenario after a warm-up; ratios are taken within one run so machine noise cancels.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measures intake, replay, end-to-end, latency-bound and memory figures on an embedded system."
    )

    enum Scenario: String, CaseIterable, ExpressibleByArgument {
        case raw, intake, duplicates
        case endToEnd = "end-to-end"
        case latencyBound = "latency-bound"
        case memory, scaling, all
    }

    @Option(help: "raw, intake, duplicates, end-to-end, latency-bound, memory, scaling or all.")
    var scenario: Scenario = .all

    @Option(help: "Also write every figure to this JSON file.")
    var json: String?

    @Option(
        help:
            "Store URL (postgres://...); default: one fresh SQLite file per scenario. A PostgreSQL database must be empty."
    )
    var store: String?

    @Option(
        help:
            "Records for raw, intake and duplicates (12 partitions; keep under ~350,000 for the broker's 5 MiB per-partition cap)."
    )
    var records: Int?

    @Option(help: "Payouts for end-to-end.")
    var payouts: Int?

    @Option(help: "Payouts in flight for memory; repeat it for several sizes (default: 10000 and 50000).")
    var memoryPayouts: [Int] = []

    @Option(help: "Consumer buffer of raw, intake and duplicates (default: the runtime's, 4 x 500 records).")
    var consumerBuffer: Int?

    @Option(help: "In-flight limit of the latency-bound run.")
    var inFlight = 256

    @Flag(help: "Tiny sizes, for CI: checks that every scenario runs, not how fast.")
    var smoke = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let records, !(100...350_000).contains(records) {
            throw ValidationError("--records must be between 100 and 350000")
        }
        if let payouts, !(10...50_000).contains(payouts) {
            throw ValidationError("--payouts must be between 10 and 50000")
        }
        if let size = memoryPayouts.first(where: { !(10...50_000).contains($0) }) {
            throw ValidationError("--memory-payouts must be between 10 and 50000, not \(size)")
        }
        guard (1...1_000).contains(inFlight) else { throw ValidationError("--in-flight must be between 1 and 1000") }
    }

    func run() async throws {
        var logger = logging.bootstrap(label: "payout-lab.bench")
        if logging.level == .info { logger.logLevel = .warning }
        let records = self.records ?? (smoke ? 2_000 : 200_000)
        let payouts = self.payouts ?? (smoke ? 50 : 5_000)
        let memorySizes = memoryPayouts.isEmpty ? (smoke ? [50, 200] : [10_000, 50_000]) : memoryPayouts
        let selected: Set<Scenario> = scenario == .all ? Set(Scenario.allCases).subtracting([.all]) : [scenario]

        let environment = try await BenchEnvironment.start(
            storeOverride: store,
            consumerBuffer: consumerBuffer,
            logger: logger
        )
        var figures: [BenchFigures] = []
        func record(_ scenario: BenchFigures) {
            figures.append(scenario)
            StandardOutput.writeLine("finished \(scenario.scenario)")
        }
        do {
            if !selected.isDisjoint(with: [.raw, .intake, .duplicates]) {
                let topics = try await LayerTopics.produce(environment: environment, records: records)
                let raw = try await RawScenario.run(environment: environment, topics: topics)
                if selected.contains(.raw) { record(raw.figures) }
                if !selected.isDisjoint(with: [.intake, .duplicates]) {
                    let bench = try await IntakeBench(environment: environment)
                    do {
                        let intake = try await IntakeScenario.run(
                            environment: environment,
                            topics: topics,
                            bench: bench,
                            raw: raw
                        )
                        if selected.contains(.intake) { record(intake) }
                        if selected.contains(.duplicates) {
                            let duplicates = try await DuplicatesScenario.run(
                                environment: environment,
                                topics: topics,
                                bench: bench,
                                raw: raw.perSecond
                            )
                            record(duplicates)
                        }
                    } catch {
                        await bench.close()
                        throw error
                    }
                    await bench.close()
                }
            }
            if selected.contains(.endToEnd) {
                let endToEnd = try await EndToEndScenario.run(
                    environment: environment,
                    payouts: payouts,
                    warmUp: smoke ? 10 : 500
                )
                record(endToEnd)
            }
            if selected.contains(.latencyBound) {
                let latencyBound = try await LatencyBoundScenario.run(
                    environment: environment,
                    inFlight: smoke ? min(inFlight, 16) : inFlight,
                    payouts: smoke ? 40 : max(2_000, inFlight * 32),
                    singlePayouts: smoke ? 3 : 8
                )
                record(latencyBound)
            }
            if selected.contains(.scaling) {
                record(
                    try await ScalingScenario.run(
                        environment: environment,
                        limits: smoke ? [4, 16] : [64, 256, 1_024, 4_096]
                    )
                )
                record(
                    try await ProcessScaling.run(
                        environment: environment,
                        workerCounts: smoke ? [1, 2] : [1, 2, 4, 8],
                        payouts: smoke ? 20 : 2_000
                    )
                )
            }
            if selected.contains(.memory) {
                // Long enough for the whole burst to be accepted before the first execution ends.
                let memory = try await MemoryScenario.run(environment: environment, sizes: memorySizes) {
                    smoke ? 2_000 : max(10_000, $0 * 4 / 5)
                }
                record(memory)
            }
        } catch {
            await environment.stop()
            throw error
        }
        await environment.stop()

        let report = BenchReport(
            figures: figures,
            context: [
                "records": "\(records)", "payouts": "\(payouts)",
                "memory_payouts": memorySizes.map(String.init).joined(separator: ","),
                "store": store == nil ? "sqlite" : "postgres", "smoke": "\(smoke)",
                "consumer_buffer": consumerBuffer.map { "\($0)" } ?? "2000",
                "cores": "\(ProcessInfo.processInfo.activeProcessorCount)",
            ]
        )
        for line in report.lines { StandardOutput.writeLine(line) }
        if let json { try report.writeJSON(to: json) }
    }
}
