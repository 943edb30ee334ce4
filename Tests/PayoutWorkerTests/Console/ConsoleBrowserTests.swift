import Foundation
import PayoutEngine
import TestSupport
import Testing

/// The console in a real browser: Debian's headless Chromium, driven through chromedriver, loads
/// the console of a worker that has just run payouts, signs in, resolves one through the form,
/// and sees the page update itself. Chromium enforces the Content-Security-Policy, so the live
/// updates prove the script works under it.
@Suite("Operator console in a browser")
struct ConsoleBrowserTests {
    @Test(
        "sign in, read the overview, resolve a payout through the form, see the queue shrink live; hostile markup stays text"
    )
    func browser() async throws {
        let fixture = try await ConsoleFixture.start()
        let browser = try await WebDriver.start()
        let base = "http://127.0.0.1:\(fixture.port)"

        try await browser.open("\(base)/console")
        #expect(try await browser.text("h1") == "Sign in")
        try await browser.type(ConsoleFixture.token, into: "input[name=token]")
        try await browser.click("#sign-in button")
        #expect(try await browser.currentURL() == "\(base)/console")
        #expect(try await browser.text("#review-count") == "3")
        #expect(try await browser.text("main").contains("REQUIRES_REVIEW"))
        let screenshot = try await browser.screenshot()
        #expect(screenshot.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
        // The README's picture of the console comes from here: PAYOUT_CONSOLE_SCREENSHOT=docs/console.png.
        if let path = ProcessInfo.processInfo.environment["PAYOUT_CONSOLE_SCREENSHOT"] {
            try screenshot.write(to: URL(fileURLWithPath: path))
        }

        try await browser.open("\(base)/console/review")
        let reference = fixture.references[0]
        try await browser.click(#"a[href="/console/payouts/\#(reference)"]"#)
        try await browser.click(#"select[name="as"] option[value="COMPLETED"]"#)
        try await browser.type("grace", into: #"input[name="operator"]"#)
        try await browser.type("Dollr's dashboard shows it paid", into: #"textarea[name="note"]"#)
        try await browser.click("#resolve button")
        #expect(try await browser.text("#result").hasPrefix("Resolved \(reference) as COMPLETED."))
        let audit = try await fixture.store.auditRecords(referenceID: reference, limit: 10)
        #expect(
            audit.count == 1 && audit.first?.actor == "grace (console)"
                && audit.first?.note == "Dollr's dashboard shows it paid"
        )
        let event = try await fixture.terminalEvent(reference, status: "COMPLETED")
        #expect((event.json["reason"] as? [String: Any])?["code"] as? String == "OPERATOR_RESOLVED")

        // The overview refreshes itself: a resolution made elsewhere shows without a reload.
        try await browser.open("\(base)/console")
        #expect(try await browser.text("#review-count") == "2")
        let other = try await fixture.http.post(
            "/console/payouts/\(fixture.references[1])/resolve",
            form: [("as", "FAILED"), ("operator", "ops-bot"), ("note", "refunded upstream")],
            headers: ConsolePageTests.bearer
        )
        #expect(other.status == 200)
        try await eventually("the overview updated in place", within: .seconds(60)) {
            (try? await browser.text("#review-count")) == "1"
        }
        #expect(try await browser.currentURL() == "\(base)/console")

        // Upstream's markup is text: the script in the metadata never ran.
        try await browser.open("\(base)/console/payouts/\(fixture.hostile)")
        #expect(try await browser.text("main").contains("<script>window.__xss=1</script>"))
        #expect(try await browser.execute("return window.__xss === undefined") as? Bool == true)
        await browser.quit()
        await fixture.stop()
    }
}
