import DollrSandbox

/// The faults a chaos run injects and when, drawn from the seed alone: the same seed gives the
/// same schedule (which worker is killed when, when the broker and the sandbox stop, and the
/// sandbox's own fault generator), so a failing run can be replayed.
struct ChaosSchedule {
    enum Action: Equatable {
        case kill(slot: Int)
        /// SIGTERM: the worker must drain and exit 0, whatever the group is doing.
        case terminate(slot: Int)
        case restart(slot: Int)
        case brokerDown, brokerUp
        case pauseSandbox, resumeSandbox
    }

    struct Step {
        var atMilliseconds: Int
        var action: Action
    }

    let steps: [Step]

    var kills: Int { steps.filter { if case .kill = $0.action { true } else { false } }.count }
    var terminations: Int { steps.filter { if case .terminate = $0.action { true } else { false } }.count }
    var brokerOutages: Int { steps.filter { $0.action == .brokerDown }.count }
    var sandboxPauses: Int { steps.filter { $0.action == .pauseSandbox }.count }

    /// Over `seconds` of faults: every 2-6 s a worker is stopped, SIGKILLed two times in three and
    /// SIGTERMed otherwise, and restarted 0.5-3 s later (once a SIGTERMed one has exited); a
    /// restart makes the group rebalance, and one time in three another worker is SIGTERMed
    /// 0.2-1.5 s into it. One broker outage (1-2.5 s) and one sandbox pause (2-6 s) per 30 s, at
    /// least one of each.
    ///
    /// Outages stay well inside the workers' 6 s session timeout (with their 1 s reconnect backoff):
    /// librdkafka 2.0.2's mock coordinator names a member by its struct's address, so when a live
    /// member's session runs out during an outage, a member that joins next can get the same id,
    /// and the live one's JoinGroup then aborts the broker (`rd_kafka_mock_cgrp_member_add`,
    /// assertion `!member->resp`). A real broker's outage of any length is for the compose file's Kafka.
    init(seed: UInt64, seconds: Int, workers: Int) {
        var random = SplitMix64(seed: seed ^ 0xC4A0_5C4E_D01E)
        let end = seconds * 1000
        var steps: [Step] = []
        var at = random.next(in: 1500...3000)
        while at < end {
            let slot = random.next(below: workers)
            let graceful = random.next(below: 3) == 0
            steps.append(Step(atMilliseconds: at, action: graceful ? .terminate(slot: slot) : .kill(slot: slot)))
            let restart = min(end, at + random.next(in: 500...3000))
            steps.append(Step(atMilliseconds: restart, action: .restart(slot: slot)))
            if workers > 1, random.next(below: 3) == 0 {
                let other = (slot + 1 + random.next(below: workers - 1)) % workers
                let stop = min(end, restart + random.next(in: 200...1500))
                steps.append(Step(atMilliseconds: stop, action: .terminate(slot: other)))
                steps.append(
                    Step(atMilliseconds: min(end, stop + random.next(in: 500...3000)), action: .restart(slot: other))
                )
            }
            at += random.next(in: 2000...6000)
        }
        let rounds = max(1, seconds / 30)
        for round in 0..<rounds {
            let window = (end / rounds * round)..<(end / rounds * (round + 1))
            let outage = window.lowerBound + random.next(below: max(1, window.count * 2 / 3))
            steps.append(Step(atMilliseconds: outage, action: .brokerDown))
            steps.append(Step(atMilliseconds: min(end, outage + random.next(in: 1000...2500)), action: .brokerUp))
            let pause = window.lowerBound + random.next(below: max(1, window.count * 2 / 3))
            steps.append(Step(atMilliseconds: pause, action: .pauseSandbox))
            steps.append(Step(atMilliseconds: min(end, pause + random.next(in: 2000...6000)), action: .resumeSandbox))
        }
        self.steps = steps.enumerated().sorted {
            ($0.element.atMilliseconds, $0.offset) < ($1.element.atMilliseconds, $1.offset)
        }.map(\.element)
    }
}
