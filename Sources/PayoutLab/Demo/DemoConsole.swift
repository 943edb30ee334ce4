import DollrClient
import Foundation
import PayoutEngine

/// The demo's terminal output: steps, a live progress bar (redrawn in place on a terminal, a line
/// every few seconds otherwise), and the closing summary. Progress goes to stderr so that stdout
/// holds only the summary.
final class DemoConsole {
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastLine = ContinuousClock.now - .seconds(10)
    /// The latest progress line not yet printed (not on a terminal), so the end can print it.
    private var unprinted: String?

    func step(_ text: String) { write("• \(text)\n") }

    func progress(answered: Int, of total: Int, snapshot: DownstreamObserver.Snapshot, expectedDeadLetters: Int) {
        var byStatus: [String: Int] = [:]
        for (_, finals) in snapshot.finals { if let first = finals.first { byStatus[first, default: 0] += 1 } }
        let width = 30
        let filled = total == 0 ? width : answered * width / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let counts = ["COMPLETED", "FAILED", "REJECTED", "REQUIRES_REVIEW"].map { "\($0) \(byStatus[$0, default: 0])" }
            .joined(separator: "  ")
        let line = "\(bar) \(answered)/\(total) answered  \(counts)  DLQ \(snapshot.deadLetters)/\(expectedDeadLetters)"
        if isTerminal {
            write("\r\u{1B}[2K\(line)")
        } else if ContinuousClock.now - lastLine >= .seconds(2) {
            lastLine = .now
            unprinted = nil
            write("\(line)\n")
        } else {
            unprinted = line
        }
    }

    /// Ends the progress display. Without a terminal, the final counts would otherwise be missing
    /// from the log whenever the run ends between two of its lines.
    func finishProgress() {
        if isTerminal {
            write("\n")
        } else if let unprinted {
            write("\(unprinted)\n")
            self.unprinted = nil
        }
    }

    func summary(_ verdict: DemoVerdict, elapsed: Duration) {
        var out = "\nOutcome by status\n"
        for (status, count) in verdict.statusCounts.sorted(by: { $0.key < $1.key }) {
            out += "  \(status.padding(toLength: 18, withPad: " ", startingAt: 0)) \(count)\n"
        }
        out += "Reasons\n"
        for (reason, count) in verdict.reasonCounts.sorted(by: { $0.key < $1.key }) {
            out += "  \(reason.padding(toLength: 24, withPad: " ", startingAt: 0)) \(count)\n"
        }
        out += "Dead letters\n"
        for (reason, count) in verdict.deadLetterReasons.sorted(by: { $0.key < $1.key }) {
            out += "  \(reason.padding(toLength: 24, withPad: " ", startingAt: 0)) \(count)\n"
        }
        out += "Wallets (declared -> after)\n"
        for wallet in verdict.wallets {
            let currency = (try? CurrencyCode(wallet.currency)) ?? .usd
            func money(_ minor: Int64) -> String { Money(minorUnits: minor, currency: currency).description }
            out +=
                "  \(wallet.currency)  \(money(wallet.before)) -> \(money(wallet.after))  (available \(money(wallet.available)))\n"
        }
        out +=
            "Executions at Dollr: \(verdict.executions)   status events: \(verdict.events)   time: \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))\n"
        out += "\nInvariants\n"
        for judgement in verdict.invariants.judgements {
            out += "  \(judgement.holds ? "✔" : "✘") \(judgement.invariant.statement)\n"
        }
        for violation in verdict.violations { out += "  VIOLATION: \(violation)\n" }
        out +=
            verdict.violations.isEmpty
            ? "\nall invariants hold\n" : "\n\(verdict.violations.count) invariant(s) violated\n"
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
