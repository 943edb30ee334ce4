import Testing

@testable import PayoutEngine

/// The one rule both stores answer intake items by, checked without a store.
@Suite("Intake rule")
struct IntakeRuleTests {
    static let recorded = RecordedPayout(
        fingerprint: "1000|XAF|+237600000001",
        sequence: 3,
        status: .processing,
        source: place(0, 7)
    )

    static func outcome(_ item: IntakeItem, recorded: RecordedPayout?, answeredAtSource: Bool = false) -> IntakeOutcome
    {
        IntakeRule.classify(item, recorded: recorded).outcome(answeredAtSource: answeredAtSource)
    }

    @Test("a command: new, conflict, redelivery at its first place, else a duplicate unless its place was answered")
    func commands() {
        #expect(Self.outcome(command("i-1"), recorded: nil) == .accepted)
        #expect(Self.outcome(command("i-1", amount: 999), recorded: Self.recorded) == .conflict)
        #expect(Self.outcome(command("i-1", readAt: place(0, 7)), recorded: Self.recorded) == .redelivered)
        #expect(
            Self.outcome(command("i-1", readAt: place(1, 7)), recorded: Self.recorded)
                == .duplicate(latestStatus: .processing)
        )
        #expect(Self.outcome(command("i-1"), recorded: Self.recorded) == .duplicate(latestStatus: .processing))
        #expect(
            Self.outcome(command("i-1", readAt: place(1, 7)), recorded: Self.recorded, answeredAtSource: true)
                == .redelivered
        )
        guard case .duplicate(let sequence, _) = IntakeRule.classify(command("i-1"), recorded: Self.recorded) else {
            Issue.record("expected a duplicate")
            return
        }
        #expect(sequence == 3, "the latest event is the one re-enqueued")
    }

    @Test("a rejection: a conflict with any recorded payout, else rejected unless its place was answered")
    func rejections() {
        #expect(Self.outcome(rejection("i-2"), recorded: Self.recorded) == .conflict)
        #expect(Self.outcome(rejection("i-2"), recorded: nil) == .rejected)
        #expect(
            Self.outcome(rejection("i-2", readAt: place(0, 9)), recorded: nil, answeredAtSource: true) == .redelivered
        )
    }

    @Test("only duplicates and rejections ask whether their place was answered; the others never record it")
    func asksSource() {
        #expect(!IntakeRule.classify(command("i-3"), recorded: nil).asksSource)
        #expect(!IntakeRule.classify(command("i-3", amount: 1), recorded: Self.recorded).asksSource)
        #expect(!IntakeRule.classify(command("i-3", readAt: place(0, 7)), recorded: Self.recorded).asksSource)
        #expect(IntakeRule.classify(command("i-3"), recorded: Self.recorded).asksSource)
        #expect(IntakeRule.classify(rejection("i-3"), recorded: nil).asksSource)
        #expect(!IntakeRule.classify(rejection("i-3"), recorded: Self.recorded).asksSource)
        for answered in [false, true] {
            #expect(
                Self.outcome(command("i-3", amount: 1), recorded: Self.recorded, answeredAtSource: answered)
                    == .conflict
            )
        }
    }
}
