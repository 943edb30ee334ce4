public import Kafka
public import PayoutEngine

/// What one resend of the kept dead letters did.
public struct DeadLetterResend: Sendable {
    /// The ids the topic acknowledged, now marked sent.
    public var sent: [Int64] = []
    /// The ids it refused again, with why; they stay kept.
    public var refused: [(id: Int64, error: String)] = []
}

extension DeadLetters {
    /// Sends every unsent kept dead letter to `topic` with the headers intake gives them, and marks
    /// those the topic acknowledges as sent.
    public static func resendKept(
        store: any PayoutStore,
        producer: KafkaProducer,
        topic: String
    ) async throws(StoreError) -> DeadLetterResend {
        let letters = try await store.keptDeadLetters(unsentOnly: true, limit: Int.max)
        var outcome = DeadLetterResend()
        guard !letters.isEmpty else { return outcome }
        for (letter, result) in zip(
            letters,
            await producer.sendAll(letters.map { record(resending: $0, topic: topic) })
        ) {
            switch result {
            case .success: outcome.sent.append(letter.id)
            case .failure(let error): outcome.refused.append((letter.id, "\(error)"))
            }
        }
        try await store.markDeadLettersSent(outcome.sent, now: StoreClock.system.now())
        return outcome
    }
}
