import GRDB

extension SQLitePayoutStore {
    func keepDeadLetters(_ letters: [KeptDeadLetter]) async throws(StoreError) {
        guard !letters.isEmpty else { return }
        try await transaction("keepDeadLetters") { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO kept_dead_letters (source_topic, source_partition, source_offset, record_key, record_value,
                                                   headers, reason, detail, error, worker, kept_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING
                    """
            )
            for letter in letters {
                try statement.execute(arguments: [
                    letter.sourceTopic, Int64(letter.sourcePartition), letter.sourceOffset,
                    KeptDeadLetterCoding.text(letter.key), KeptDeadLetterCoding.text(letter.value),
                    KeptDeadLetterCoding.text(letter.headers),
                    letter.reason, letter.detail, letter.error, letter.worker, letter.keptAt,
                ])
            }
            return .commit(())
        }
    }

    func keptDeadLetters(unsentOnly: Bool, limit: Int) async throws(StoreError) -> [KeptDeadLetter] {
        try await read("keptDeadLetters") { db in
            let filter = unsentOnly ? "WHERE sent_at IS NULL" : ""
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT id, source_topic, source_partition, source_offset, record_key, record_value, headers,
                           reason, detail, error, worker, kept_at, sent_at
                    FROM kept_dead_letters \(filter) ORDER BY id LIMIT ?
                    """,
                arguments: [limit]
            ).map { row in
                KeptDeadLetter(
                    id: row["id"],
                    sourceTopic: row["source_topic"],
                    sourcePartition: Int32(truncatingIfNeeded: row["source_partition"] as Int64),
                    sourceOffset: row["source_offset"],
                    key: KeptDeadLetterCoding.bytes(row["record_key"]),
                    value: KeptDeadLetterCoding.bytes(row["record_value"]),
                    headers: KeptDeadLetterCoding.headers(row["headers"]),
                    reason: row["reason"],
                    detail: row["detail"],
                    error: row["error"],
                    worker: row["worker"],
                    keptAt: row["kept_at"],
                    sentAt: row["sent_at"]
                )
            }
        }
    }

    func markDeadLettersSent(_ ids: [Int64], now: Int64) async throws(StoreError) {
        guard !ids.isEmpty else { return }
        try await transaction("markDeadLettersSent") { db in
            let statement = try db.cachedStatement(
                sql: "UPDATE kept_dead_letters SET sent_at = ? WHERE id = ? AND sent_at IS NULL"
            )
            for id in ids { try statement.execute(arguments: [now, id]) }
            return .commit(())
        }
    }

    func unsentDeadLetterCount() async throws(StoreError) -> Int {
        try await read("unsentDeadLetterCount") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM kept_dead_letters WHERE sent_at IS NULL") ?? 0
        }
    }
}
