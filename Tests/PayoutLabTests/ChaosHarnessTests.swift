import Foundation
import TestSupport
import Testing

@testable import PayoutLab

/// The chaos harness's own judgement, apart from a whole run: when the settle phase has stalled,
/// and when the embedded broker crashed rather than being stopped by the run.
@Suite("chaos harness")
struct ChaosHarnessTests {
    /// Readings at seconds from one instant: the detector's clock is whatever its caller reads.
    let origin = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { origin + .milliseconds(Int(seconds * 1_000)) }

    @Test("30 s without an answer once the faults have ended is a stall, reported then and not before")
    func stallAfterTheWindow() {
        var detector = StallDetector()
        #expect(detector.observe(at: at(0), answered: 10, unanswered: 5, faultsEnded: true) == nil)
        #expect(detector.observe(at: at(29.75), answered: 10, unanswered: 5, faultsEnded: true) == nil)
        let stall = detector.observe(at: at(30), answered: 10, unanswered: 5, faultsEnded: true)
        #expect(stall == StallDetector.Stall(since: at(0), lasted: .seconds(30), answered: 10, unanswered: 5))
    }

    @Test("an answer starts the window again")
    func progressStartsTheWindowAgain() {
        var detector = StallDetector()
        _ = detector.observe(at: at(0), answered: 10, unanswered: 5, faultsEnded: true)
        #expect(detector.observe(at: at(20), answered: 11, unanswered: 4, faultsEnded: true) == nil)
        #expect(detector.observe(at: at(49.75), answered: 11, unanswered: 4, faultsEnded: true) == nil)
        #expect(detector.observe(at: at(50), answered: 11, unanswered: 4, faultsEnded: true)?.since == at(20))
    }

    @Test("no stall while the faults run, however long nothing is answered; the window opens when they end")
    func faultsExcuseAPause() {
        var detector = StallDetector()
        for second in stride(from: 0.0, through: 120, by: 5) {
            #expect(detector.observe(at: at(second), answered: 10, unanswered: 5, faultsEnded: false) == nil)
        }
        #expect(detector.observe(at: at(121), answered: 10, unanswered: 5, faultsEnded: true) == nil)
        #expect(detector.observe(at: at(150), answered: 10, unanswered: 5, faultsEnded: true) == nil)
        #expect(detector.observe(at: at(151), answered: 10, unanswered: 5, faultsEnded: true)?.since == at(121))
    }

    @Test("nothing left to answer is never a stall")
    func nothingWaiting() {
        var detector = StallDetector()
        for second in stride(from: 0.0, through: 300, by: 10) {
            #expect(detector.observe(at: at(second), answered: 15, unanswered: 0, faultsEnded: true) == nil)
        }
    }

    @Test("an end that came after the run asked for it is no crash; one that came first is, and stays one")
    func stopRequestedOrNot() {
        let stopped = BrokerProcess.Life()
        #expect(stopped.requestStop())
        stopped.ended(.exited(0))
        #expect(stopped.crash == nil)

        let crashed = BrokerProcess.Life()
        crashed.ended(.signalled(SIGABRT))
        #expect(!crashed.requestStop(), "a broker already gone is not stopped by the run")
        #expect(crashed.crash == .signalled(SIGABRT))
    }

    @Test("a broker the run stopped itself is never a crash; it logs at info level to the file it was given")
    func stoppedBrokerIsNoCrash() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let logFile = directory.appendingPathComponent("broker.log")
        let broker = try await BrokerProcess.start(
            executable: ChildProcess.payoutLabBinary,
            topics: [(name: "harness", partitions: 1)],
            logFile: logFile
        )
        try await broker.setBrokerDown(1)
        try await broker.setBrokerUp(1)
        #expect(broker.crash == nil)

        await broker.stop()
        #expect(await broker.termination() == .exited(0))
        #expect(broker.crash == nil, "stopped by the run, exit 0: \(broker.crash.map(String.init(describing:)) ?? "")")
        let log = try String(contentsOf: logFile, encoding: .utf8)
        #expect(
            log.contains("embedded Kafka ready") && log.contains("stopping embedded Kafka"),
            "info-level log: \(log)"
        )
    }

    @Test("a broker that ends on its own is a crash: how it ended, and the tail of its log")
    func brokerEndingOnItsOwnIsACrash() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let logFile = directory.appendingPathComponent("broker.log")
        let broker = try await BrokerProcess.start(
            executable: ChildProcess.payoutLabBinary,
            topics: [(name: "harness", partitions: 1)],
            logFile: logFile
        )
        try await broker.setBrokerUp(1)  // answered once it serves commands, after its "ready" line

        kill(broker.pid, SIGKILL)
        #expect(await broker.termination() == .signalled(SIGKILL))
        let crash = try #require(broker.crash)
        #expect(crash.description == "embedded broker crashed: killed by signal 9 (SIGKILL)")
        #expect(crash.logTail.contains { $0.contains("embedded Kafka ready") })
        #expect(crash.report.contains(logFile.path))
        await #expect(throws: BrokerProcess.Crashed.self) { try await broker.setBrokerDown(1) }
        await broker.stop()
        #expect(broker.crash != nil, "stopping a broker that already crashed does not make its crash the run's doing")
    }

    @Test("violations exit 1 whether or not the broker crashed; a crash with none exits 3; a clean run 0")
    func exitStatus() {
        #expect(ChaosCommand.exitStatus(violations: 6, brokerCrashed: false) == 1)
        #expect(ChaosCommand.exitStatus(violations: 6, brokerCrashed: true) == 1)
        #expect(ChaosCommand.exitStatus(violations: 0, brokerCrashed: true) == 3)
        #expect(ChaosCommand.exitStatus(violations: 0, brokerCrashed: false) == 0)
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "chaos-harness-\(UUID().uuidString.prefix(8))"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
