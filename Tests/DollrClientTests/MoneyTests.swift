import Testing

@testable import DollrClient

@Suite("Money")
struct MoneyTests {
    @Test(
        arguments: [
            ("100", 10_000), ("100.5", 10_050), ("100.50", 10_050), ("0.01", 1), ("0", 0), ("007.10", 710),
            ("1.500", 150), ("92233720368547758.07", Int64.max),
        ] as [(String, Int64)]
    )
    func parsesExactly(text: String, minorUnits: Int64) throws {
        #expect(try Money(parsing: text, currency: .usd).minorUnits == minorUnits)
    }

    @Test(arguments: ["", ".5", "5.", "1e5", "+1", " 1", "1 ", "1,5", "1.2.3", "abc", "٣", "--1", "0x10"])
    func refusesNonNumbers(text: String) {
        #expect(throws: MoneyParsingError.notANumber(text)) { try Money(parsing: text, currency: .usd) }
    }

    @Test func refusesNegative() {
        #expect(throws: MoneyParsingError.negative) { try Money(parsing: "-1.00", currency: .usd) }
        #expect(throws: MoneyParsingError.notANumber("-x")) { try Money(parsing: "-x", currency: .usd) }
    }

    @Test func refusesDigitsTheCurrencyDoesNotHave() throws {
        #expect(throws: MoneyParsingError.tooManyFractionDigits(currency: .usd, allowed: 2)) {
            try Money(parsing: "1.505", currency: .usd)
        }
        let rwf = try! CurrencyCode("RWF")
        #expect(throws: MoneyParsingError.tooManyFractionDigits(currency: rwf, allowed: 0)) {
            try Money(parsing: "1500.5", currency: rwf)
        }
        #expect(try Money(parsing: "1500.0", currency: rwf).minorUnits == 1500)
    }

    @Test func refusesOverflow() {
        #expect(throws: MoneyParsingError.overflow) { try Money(parsing: "92233720368547758.08", currency: .usd) }
        #expect(throws: MoneyParsingError.overflow) { try Money(parsing: "99999999999999999999999", currency: .usd) }
    }

    @Test(
        arguments: [
            (10_050, "USD", "100.50"), (5, "USD", "0.05"), (-5, "USD", "-0.05"), (0, "LRD", "0.00"),
            (1500, "RWF", "1500"), (1234, "BHD", "1.234"), (Int64.min, "USD", "-92233720368547758.08"),
        ] as [(Int64, String, String)]
    )
    func formatsCanonically(minorUnits: Int64, currency: String, text: String) throws {
        #expect(Money(minorUnits: minorUnits, currency: try CurrencyCode(currency)).description == text)
    }

    @Test(arguments: [0, 1, 9, 10, 99, 100, 101, 123_456_789, Int64.max] as [Int64])
    func roundTripsThroughText(minorUnits: Int64) throws {
        for currency in [CurrencyCode.usd, try CurrencyCode("RWF"), try CurrencyCode("KWD")] {
            let money = Money(minorUnits: minorUnits, currency: currency)
            #expect(try Money(parsing: money.description, currency: currency) == money)
        }
    }

    @Test func arithmeticStaysInOneCurrency() throws {
        let a = Money.usd("100.50")
        let b = Money.usd("1.01")
        #expect((a + b).description == "101.51")
        #expect((b - a).description == "-99.49")
        #expect(b < a)
        #expect(Money.zero(.usd).isZero)
        let lrd = Money(minorUnits: 1, currency: .lrd)
        #expect(throws: MoneyArithmeticError.currencyMismatch(.usd, .lrd)) { try a.adding(lrd) }
        #expect(throws: MoneyArithmeticError.overflow) {
            try Money(minorUnits: .max, currency: .usd).adding(Money(minorUnits: 1, currency: .usd))
        }
    }

    @Test func currencyCodes() throws {
        #expect(try CurrencyCode("USD").minorDigits == 2)
        #expect(try CurrencyCode("XOF").minorDigits == 0)
        #expect(try CurrencyCode("ZZZ").minorDigits == 2)
        for bad in ["usd", "US", "USDT", "U$D", ""] {
            #expect(throws: CurrencyCodeError.self) { try CurrencyCode(bad) }
        }
    }

    @Test(arguments: [
        ("100", "100"), ("100.50", "100.50"), ("1.5e2", "150"), ("1E-2", "0.01"), ("-0.05", "-0.05"),
        ("12.345e1", "123.45"), ("5e0", "5"),
    ])
    func jsonNumbersBecomePlainDecimals(literal: String, plain: String) {
        #expect(DecimalText.plain(fromJSONNumber: literal) == plain)
    }

    @Test func absurdExponentsAreRefused() {
        #expect(DecimalText.plain(fromJSONNumber: "1e400") == nil)
        #expect(DecimalText.plain(fromJSONNumber: "1.") == nil)
    }
}
