import Logging
import PayoutWorker
import Testing

@Suite struct LogRedactionTests {
    @Test(arguments: [
        ("call 231771234567 now", "call ********4567 now"),
        ("+231771234567", "********4567"),
        ("phone=231771234567,", "phone=********4567,"),
        ("12345678", "****5678"),
        ("123456789012345", "***********2345"),
        ("two: 231771234567 and 231770000001", "two: ********4567 and ********0001"),
        ("Zoë 231771234567 ✓", "Zoë ********4567 ✓"),
        ("account 0012345678/", "account ******5678/"),
    ])
    func phoneAndAccountNumbersKeepTheirLastFourDigits(text: String, expected: String) {
        #expect(LogRedaction.redact(text) == expected)
    }

    @Test(arguments: [
        "reference_id 9b2f4a8e-3c1d-4e5f-8a7b-6c5d4e3f2a1b",
        "12345678-1234-4234-8234-123456789012",
        "9B2F4A8E-3C1D-4E5F-8A7B-6C5D4E3F2A1B done",
        "amount 100.00 USD",
        "balance 100000000.00 LRD",
        "rate 0.123456789",
        "at 2026-11-25T12:00:00Z",
        "at 2026-11-25T12:00:00.123+00:00",
        "short 1234567 digits",
        "too long to be a phone: 1234567890123456",
        "already masked ********4567",
        "",
    ])
    func identifiersAmountsAndTimestampsAreUntouched(text: String) {
        #expect(LogRedaction.redact(text) == text)
    }

    @Test func redactionIsIdempotent() {
        let once = LogRedaction.redact("to +231771234567 ref 12345678-1234-4234-8234-123456789012")
        #expect(once == "to ********4567 ref 12345678-1234-4234-8234-123456789012")
        #expect(LogRedaction.redact(once) == once)
    }

    @Test func metadataValuesAreMaskedAtAnyDepth() {
        let metadata: Logger.Metadata = [
            "note": "paying 231771234567",
            "reference_id": "9b2f4a8e-3c1d-4e5f-8a7b-6c5d4e3f2a1b",
            "amount": "100.00",
            "recipient": ["party_id": "42", "contact": "231771234567", "msisdn": "231771234567"],
            "numbers": ["231771234567", "7"],
            "described": .stringConvertible(231_771_234_567),
        ]
        let redacted = LogRedaction.redact(metadata)
        #expect(redacted["note"] == "paying ********4567")
        #expect(redacted["reference_id"] == "9b2f4a8e-3c1d-4e5f-8a7b-6c5d4e3f2a1b")
        #expect(redacted["amount"] == "100.00")
        #expect(redacted["recipient"] == ["party_id": "42", "contact": "********4567", "msisdn": "<redacted>"])
        #expect(redacted["numbers"] == ["********4567", "7"])
        #expect(redacted["described"] == "********4567")
    }

    @Test(arguments: [
        "phone", "recipient_phone", "MSISDN", "account_number", "account-number", "passcode", "MERCHANT_PASSCODE",
        "client_secret", "access_token", "token", "Authorization", "password", "api_key",
    ])
    func sensitiveKeysAreReplacedEntirely(key: String) {
        #expect(LogRedaction.isSensitive(key: key))
        let redacted = LogRedaction.redact([key: "hunter2", "nested": [key: ["deep": "x"]]])
        #expect(redacted[key] == "<redacted>")
        #expect(redacted["nested"] == [key: "<redacted>"])
    }

    @Test(arguments: ["reference_id", "amount", "currency", "payout_account_id", "topic", "partition", "status"])
    func ordinaryKeysAreNotSensitive(key: String) {
        #expect(!LogRedaction.isSensitive(key: key))
        #expect(LogRedaction.redact([key: "USD 100.00"])[key] == "USD 100.00")
    }
}
