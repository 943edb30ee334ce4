import DollrClient
import Logging
import Synchronization
import Testing

@testable import PayoutWorker

/// Log lines as the handlers write them.
private final class CapturedOutput: Sendable {
    private let writes = Mutex<[String]>([])
    var text: String { self.writes.withLock { $0.joined() } }
    var output: LogOutput { LogOutput { text in self.writes.withLock { $0.append(text) } } }
}

private struct Failure: Error, CustomStringConvertible {
    var description: String { "could not reach 231771234567" }
}

@Suite struct WorkerLoggingTests {
    private func logger(
        json: Bool,
        level: Logger.Level = .info,
        into capture: CapturedOutput,
        provider: Logger.MetadataProvider? = nil
    ) -> Logger {
        Logger(label: "payout.test") { label in
            WorkerLogging.makeHandler(
                label: label,
                json: json,
                level: level,
                output: capture.output,
                metadataProvider: provider
            )
        }
    }

    @Test func jsonHandlerWritesOneMaskedObjectPerLine() throws {
        let capture = CapturedOutput()
        var logger = self.logger(json: true, into: capture)
        logger[metadataKey: "worker"] = "w-1"
        logger.debug("below the level")
        logger.info(
            "paying 231771234567\nforged line",
            metadata: [
                "reference_id": "9b2f4a8e-3c1d-4e5f-8a7b-6c5d4e3f2a1b",
                "amount": "100.00",
                "recipient": ["phone": "231771234567", "party_id": "42"],
                "client_secret": "sandbox-secret",
                "message": "collides with a fixed field",
            ]
        )

        let text = capture.text
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n")
        try #require(lines.count == 1)
        guard case .object(let object) = try JSONParser.parse(String(lines[0])) else {
            Issue.record("not a JSON object: \(lines[0])")
            return
        }
        let time = try #require(object["time"].flatMap { if case .string(let s) = $0 { s } else { nil } })
        #expect(time.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
        #expect(object["level"] == .string("info"))
        #expect(object["label"] == .string("payout.test"))
        #expect(object["message"] == .string("paying ********4567\nforged line"))
        #expect(object["worker"] == .string("w-1"))
        #expect(object["reference_id"] == .string("9b2f4a8e-3c1d-4e5f-8a7b-6c5d4e3f2a1b"))
        #expect(object["amount"] == .string("100.00"))
        #expect(object["recipient.phone"] == .string("<redacted>"))
        #expect(object["recipient.party_id"] == .string("42"))
        #expect(object["client_secret"] == .string("<redacted>"))
        #expect(object["metadata.message"] == .string("collides with a fixed field"))
        #expect(!text.contains("231771234567") && !text.contains("sandbox-secret"))
    }

    @Test func textHandlerEscapesLineBreaksAndMasksEverySource() {
        let capture = CapturedOutput()
        let provider = Logger.MetadataProvider { ["msisdn": "231770000001", "trace": "t-231770000002"] }
        var logger = self.logger(json: false, into: capture, provider: provider)
        logger[metadataKey: "passcode"] = "123456"
        logger.error(
            "sent to 231771234567\r\nINFO forged: all good",
            error: Failure(),
            metadata: ["note": "first\nsecond", "authorization": "Bearer abc"]
        )

        let text = capture.text
        #expect(text.hasSuffix("\n"))
        #expect(text.split(separator: "\n").count == 1, "\(text)")
        #expect(text.contains(#"sent to ********4567\r\nINFO forged: all good"#))
        #expect(text.contains(#"first\nsecond"#))
        #expect(text.contains("t-********0002"))
        #expect(text.contains("could not reach ********4567"))
        for secret in ["231771234567", "231770000001", "231770000002", "123456", "Bearer abc"] {
            #expect(!text.contains(secret), "\(secret) leaked: \(text)")
        }
    }

    @Test func timestampsAreRFC3339InUTCWithMilliseconds() {
        #expect(LogTimestamp.format(seconds: 0, milliseconds: 5) == "1970-01-01T00:00:00.005Z")
        #expect(LogTimestamp.format(seconds: 1_764_072_000, milliseconds: 123) == "2025-11-25T12:00:00.123Z")
    }

    @Test func majorUnitsAreConvertedFromTheDecimalText() {
        #expect(MajorUnits.value(minor: 5, digits: 2) == 0.05)
        #expect(MajorUnits.value(minor: 1, digits: 3) == 0.001)
        #expect(MajorUnits.value(minor: -150, digits: 2) == -1.5)
        #expect(MajorUnits.value(minor: 700, digits: 0) == 700)
        #expect(MajorUnits.value(minor: Int64.max, digits: 2) == 92_233_720_368_547_758.07)
        #expect(MajorUnits.value(minor: Int64.min, digits: 2) == -92_233_720_368_547_758.08)
    }
}
