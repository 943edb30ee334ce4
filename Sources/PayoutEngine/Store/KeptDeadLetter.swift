import Foundation

/// A record that belonged on the dead-letter topic but that the topic refused for good (too large
/// for it, not authorised, no such topic). It is kept in the store instead, so nothing is lost and
/// the partition it came from moves on; `payout-worker dead-letters retry` sends it once the topic
/// accepts it. Where it came from is plain values: the store knows nothing of Kafka.
public struct KeptDeadLetter: Sendable, Equatable {
    /// One header of the original record.
    public struct Header: Sendable, Equatable, Codable {
        public var name: String
        public var value: [UInt8]?
        public init(name: String, value: [UInt8]?) { (self.name, self.value) = (name, value) }
    }

    /// Assigned by the store; 0 for a letter not yet kept.
    public var id: Int64
    public var sourceTopic: String
    public var sourcePartition: Int32
    public var sourceOffset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [Header]
    /// The dead-letter reason code and its detail, as the headers of the letter carry them.
    public var reason: String
    public var detail: String
    /// Why the topic refused it.
    public var error: String
    public var worker: String
    public var keptAt: Int64
    public var sentAt: Int64?

    public init(
        id: Int64 = 0,
        sourceTopic: String,
        sourcePartition: Int32,
        sourceOffset: Int64,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [Header],
        reason: String,
        detail: String,
        error: String,
        worker: String,
        keptAt: Int64,
        sentAt: Int64? = nil
    ) {
        self.id = id
        self.sourceTopic = sourceTopic
        self.sourcePartition = sourcePartition
        self.sourceOffset = sourceOffset
        self.key = key
        self.value = value
        self.headers = headers
        self.reason = reason
        self.detail = detail
        self.error = error
        self.worker = worker
        self.keptAt = keptAt
        self.sentAt = sentAt
    }
}

/// How both stores hold a letter's bytes: base64 text, one column type that SQLite and PostgreSQL
/// read the same way; headers as a JSON array (values base64 too).
enum KeptDeadLetterCoding {
    static func text(_ bytes: [UInt8]?) -> String? { bytes.map { Data($0).base64EncodedString() } }

    static func bytes(_ text: String?) -> [UInt8]? { text.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } }

    static func text(_ headers: [KeptDeadLetter.Header]) -> String {
        let encoded =
            (try? JSONEncoder().encode(headers.map { Stored(name: $0.name, value: $0.value.map { Data($0) }) }))
            ?? Data("[]".utf8)
        return String(decoding: encoded, as: UTF8.self)
    }

    static func headers(_ text: String) -> [KeptDeadLetter.Header] {
        let stored = (try? JSONDecoder().decode([Stored].self, from: Data(text.utf8))) ?? []
        return stored.map { KeptDeadLetter.Header(name: $0.name, value: $0.value.map { [UInt8]($0) }) }
    }

    private struct Stored: Codable {
        var name: String
        var value: Data?
    }
}
