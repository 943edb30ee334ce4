import PostgresNIO

extension PostgresPayoutStore {
    func keepDeadLetters(_ letters: [KeptDeadLetter]) async throws(StoreError) {
        guard !letters.isEmpty else { return }
        try await transaction("keepDeadLetters") { [self] connection in
            for letter in letters {
                try await connection.query(
                    """
                    INSERT INTO kept_dead_letters (source_topic, source_partition, source_offset, record_key, record_value,
                                                   headers, reason, detail, error, worker, kept_at)
                    VALUES (\(letter.sourceTopic), \(letter.sourcePartition), \(letter.sourceOffset),
                            \(KeptDeadLetterCoding.text(letter.key)), \(KeptDeadLetterCoding.text(letter.value)),
                            \(KeptDeadLetterCoding.text(letter.headers)), \(letter.reason), \(letter.detail), \(letter.error),
                            \(letter.worker), \(letter.keptAt))
                    ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING
                    """,
                    logger: logger
                )
            }
            return .commit(())
        }
    }

    func keptDeadLetters(unsentOnly: Bool, limit: Int) async throws(StoreError) -> [KeptDeadLetter] {
        try await read("keptDeadLetters") { [self] connection in
            let rows = try await connection.query(
                """
                SELECT id, source_topic, source_partition, source_offset, record_key, record_value, headers,
                       reason, detail, error, worker, kept_at, sent_at
                FROM kept_dead_letters WHERE (NOT \(unsentOnly) OR sent_at IS NULL) ORDER BY id LIMIT \(limit)
                """,
                logger: logger
            ).collect()
            return try rows.map { row in
                let (id, topic, partition, offset, key, value, headers, reason, detail, error, worker, keptAt, sentAt) =
                    try row.decode(
                        (
                            Int64, String, Int32, Int64, String?, String?, String, String, String, String, String,
                            Int64, Int64?
                        ).self
                    )
                return KeptDeadLetter(
                    id: id,
                    sourceTopic: topic,
                    sourcePartition: partition,
                    sourceOffset: offset,
                    key: KeptDeadLetterCoding.bytes(key),
                    value: KeptDeadLetterCoding.bytes(value),
                    headers: KeptDeadLetterCoding.headers(headers),
                    reason: reason,
                    detail: detail,
                    error: error,
                    worker: worker,
                    keptAt: keptAt,
                    sentAt: sentAt
                )
            }
        }
    }

    func markDeadLettersSent(_ ids: [Int64], now: Int64) async throws(StoreError) {
        guard !ids.isEmpty else { return }
        try await transaction("markDeadLettersSent") { [self] connection in
            try await connection.query(
                "UPDATE kept_dead_letters SET sent_at = \(now) WHERE id = ANY(\(ids)) AND sent_at IS NULL",
                logger: logger
            )
            return .commit(())
        }
    }

    func unsentDeadLetterCount() async throws(StoreError) -> Int {
        try await read("unsentDeadLetterCount") { [self] connection in
            try await connection.query("SELECT count(*) FROM kept_dead_letters WHERE sent_at IS NULL", logger: logger)
                .collect().first?.decode(Int.self) ?? 0
        }
    }
}
