import PayoutEngine
import TestSupport
import Testing

extension PayoutStoreConformance {
    static func letter(_ offset: Int64, value: [UInt8]? = Array("{\"big\":1}".utf8)) -> KeptDeadLetter {
        KeptDeadLetter(
            sourceTopic: "payouts.commands",
            sourcePartition: 2,
            sourceOffset: offset,
            key: Array("k-\(offset)".utf8),
            value: value,
            headers: [
                .init(name: "traceparent", value: Array("00-abc-01".utf8)), .init(name: "empty", value: nil),
                .init(name: "bin", value: [0, 255, 10]),
            ],
            reason: "VALIDATION_ERROR",
            detail: "amount: required",
            error: "Broker: Message size too large (MSG_SIZE_TOO_LARGE)",
            worker: "w-1",
            keptAt: t0
        )
    }

    @Test(arguments: StoreKind.allCases)
    func keptDeadLettersRoundTripAndAreKeptOncePerSource(kind: StoreKind) async throws {
        try await withStore(kind) { fixture in
            let store = fixture.store
            #expect(try await store.unsentDeadLetterCount() == 0)
            try await store.keepDeadLetters([Self.letter(7), Self.letter(8, value: nil)])
            // The same batch read again after a crash keeps nothing new.
            try await store.keepDeadLetters([Self.letter(7)])
            let kept = try await store.keptDeadLetters(unsentOnly: false, limit: 10)
            #expect(kept.count == 2)
            var expected = Self.letter(7)
            expected.id = kept[0].id
            #expect(kept[0] == expected, "every byte and header as it was, absent values included")
            #expect(kept[1].value == nil && kept[1].sourceOffset == 8)
            #expect(try await store.unsentDeadLetterCount() == 2)

            try await store.markDeadLettersSent([kept[0].id], now: t0 + 5)
            #expect(try await store.unsentDeadLetterCount() == 1)
            #expect(try await store.keptDeadLetters(unsentOnly: true, limit: 10).map(\.sourceOffset) == [8])
            #expect(try await store.keptDeadLetters(unsentOnly: false, limit: 10).first?.sentAt == t0 + 5)
            #expect(try await store.keptDeadLetters(unsentOnly: false, limit: 1).count == 1)
        }
    }
}
