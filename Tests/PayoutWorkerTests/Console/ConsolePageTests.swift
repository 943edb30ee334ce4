import Foundation
import LocalPostgres
import PayoutEngine
import TestSupport
import Testing

/// The console's pages over real HTTP (curl), as a script with the bearer token reads them.
@Suite("Operator console pages")
struct ConsolePageTests {
    static let bearer = ["Authorization": "Bearer \(ConsoleFixture.token)"]

    @Test("every page answers with escaped, masked content and strict security headers")
    func everyPage() async throws {
        let fixture = try await ConsoleFixture.start()
        try await fixture.keepDeadLetter()
        let http = fixture.http
        let pages = [
            "/console", "/console/review", "/console/payouts", "/console/payouts?status=REQUIRES_REVIEW",
            "/console/payouts/\(fixture.hostile)",
            "/console/payouts/\(fixture.references[0])", "/console/wallets", "/console/dead-letters",
        ]
        // Lag is sampled every 5 s; the overview shows it from the first sample on.
        try await eventually("consumer lag sampled", within: .seconds(60)) {
            (try? await http.get("/console", headers: Self.bearer))?.body.contains("<td>payouts.commands</td>") == true
        }
        var bodies: [String: String] = [:]
        for page in pages {
            let answer = try await http.get(page, headers: Self.bearer)
            #expect(answer.status == 200, "\(page): \(answer.status) \(answer.body.prefix(300))")
            #expect(
                answer.header("content-security-policy")?.hasPrefix(
                    "default-src 'none'; script-src 'self'; style-src 'self'"
                ) == true,
                "\(page)"
            )
            #expect(answer.header("content-security-policy")?.contains("frame-ancestors 'none'") == true)
            #expect(
                answer.header("x-content-type-options") == "nosniff" && answer.header("x-frame-options") == "DENY",
                "\(page)"
            )
            #expect(
                answer.header("cache-control") == "no-store"
                    && answer.header("content-type") == "text/html; charset=utf-8",
                "\(page)"
            )
            for secret in [
                "231771234567", ConsoleFixture.hostilePhone, "231770000001", ConsoleFixture.token, "<script>window",
                "<b>Eve", "<img src=x", "<i>not",
            ] {
                #expect(!answer.body.contains(secret), "\(page) shows \(secret)")
            }
            #expect(
                !answer.body.contains("<script>")
                    && answer.body.contains(#"<script src="/console/assets/console.js" defer></script>"#)
            )
            bodies[page] = answer.body
        }

        let overview = try #require(bodies["/console"])
        #expect(
            overview.contains(#"data-status="REQUIRES_REVIEW">3<"#) && overview.contains(#"id="review-count">3<"#),
            "\(overview)"
        )
        #expect(
            overview.contains("worker ") && overview.contains("<h3>Consumer lag</h3>")
                && overview.contains("<td>payouts.commands</td>")
        )
        #expect(overview.contains(#"<th class="num">p50</th>"#), "execute latencies of this worker")
        #expect(
            overview.contains("<strong>kafka</strong>: ok") && overview.contains("<strong>store</strong>: ok"),
            "readiness"
        )
        #expect(overview.contains(#"data-refresh="5""#), "live where JavaScript runs")
        #expect(overview.contains("Kept dead letters</a> not yet sent: <strong>1</strong>"))

        let review = try #require(bodies["/console/review"])
        for reference in fixture.references { #expect(review.contains(#"<a href="/console/payouts/\#(reference)">"#)) }
        #expect(review.contains("10.00 USD") && review.contains("PROCESSING"), "amount and Dollr's last answer")

        let hostile = try #require(bodies["/console/payouts/\(fixture.hostile)"])
        #expect(hostile.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"), "metadata shown, escaped")
        #expect(hostile.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(hostile.contains("&lt;*** O***"), "the recipient's name masked, escaped")
        #expect(!hostile.contains(#"id="resolve""#), "no form for a bearer page: forms are a browser session's")

        let wallets = try #require(bodies["/console/wallets"])
        #expect(wallets.contains("<td>1</td><td>USD</td>") && wallets.contains("100000.00 USD"), "\(wallets)")
        let letters = try #require(bodies["/console/dead-letters"])
        #expect(
            letters.contains("UNPARSEABLE") && letters.contains("&lt;i&gt;not json&lt;/i&gt;")
                && letters.contains("MSG_SIZE_TOO_LARGE")
        )

        let unknown = try await http.get("/console/payouts/00000000-0000-4000-8000-000000000000", headers: Self.bearer)
        #expect(
            unknown.status == 404
                && unknown.body.contains("no payout with reference_id 00000000-0000-4000-8000-000000000000")
        )
        let css = try await http.get("/console/assets/console.css")
        #expect(css.status == 200 && css.header("content-type") == "text/css; charset=utf-8")
        let script = try await http.get("/console/assets/console.js")
        #expect(script.status == 200 && script.body.contains("data-refresh"))
        await fixture.stop()
    }

    @Test(
        "a browser session: sign-in, a strict cookie, and forms refused without its CSRF token or from another origin"
    )
    func sessionsAndRefusals() async throws {
        let fixture = try await ConsoleFixture.start()
        let http = fixture.http
        let anonymous = try await http.get("/console")
        #expect(
            anonymous.status == 401 && anonymous.header("www-authenticate") == #"Bearer realm="payout-worker console""#
        )
        #expect(anonymous.body.contains(#"id="sign-in""#) && !anonymous.body.contains("review-count"))
        #expect(
            try await http.get("/console", headers: ["Authorization": "Bearer wrong-token-wrong-token-wrong"]).status
                == 401
        )
        #expect(try await http.get("/console/review", headers: Self.bearer).status == 200)

        let wrong = try await http.post("/console/sign-in", form: [("token", "not-the-token-not-the-token")])
        #expect(
            wrong.status == 401 && wrong.body.contains("That is not the admin token.")
                && wrong.header("set-cookie") == nil
        )
        let crossSite = try await http.post(
            "/console/sign-in",
            form: [("token", ConsoleFixture.token)],
            headers: ["Sec-Fetch-Site": "cross-site"]
        )
        #expect(crossSite.status == 403 && crossSite.header("set-cookie") == nil)
        let signedIn = try await http.post("/console/sign-in", form: [("token", ConsoleFixture.token)])
        #expect(signedIn.status == 303 && signedIn.header("location") == "/console")
        let cookieHeader = try #require(signedIn.header("set-cookie"))
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age=28800"] {
            #expect(cookieHeader.contains(attribute), "\(cookieHeader)")
        }
        #expect(!cookieHeader.contains(ConsoleFixture.token))
        let cookie = String(cookieHeader.split(separator: ";")[0])

        let reference = fixture.references[0]
        let page = try await http.get("/console/payouts/\(reference)", headers: ["Cookie": cookie])
        #expect(page.status == 200 && page.body.contains(#"id="resolve""#))
        let csrf = try #require(page.csrf)
        let tampered = String(cookie.dropLast()) + (cookie.last == "0" ? "1" : "0")
        #expect(
            try await http.get("/console", headers: ["Cookie": tampered]).status == 401,
            "a tampered session is no session"
        )

        let form = [("as", "COMPLETED"), ("operator", "mallory"), ("note", "looks fine")]
        let path = "/console/payouts/\(reference)/resolve"
        let refusals: [(String, [(String, String)], [String: String], Int, String)] = [
            ("no CSRF token", form, ["Cookie": cookie], 403, "CSRF token is missing or stale"),
            (
                "a wrong CSRF token", form + [("csrf", String(repeating: "0", count: 64))], ["Cookie": cookie], 403,
                "CSRF token is missing or stale"
            ),
            (
                "another origin", form + [("csrf", csrf)], ["Cookie": cookie, "Origin": "http://evil.example"], 403,
                "another origin"
            ),
            (
                "a cross-site fetch", form + [("csrf", csrf)], ["Cookie": cookie, "Sec-Fetch-Site": "cross-site"], 403,
                "cross-site"
            ),
            ("no session at all", form + [("csrf", csrf)], [:], 401, "Sign in"),
            ("a tampered session", form + [("csrf", csrf)], ["Cookie": tampered], 401, "Sign in"),
        ]
        for (what, fields, headers, status, message) in refusals {
            let answer = try await http.post(path, form: fields, headers: headers)
            #expect(
                answer.status == status && answer.body.contains(message),
                "\(what): \(answer.status) \(answer.body.suffix(400))"
            )
        }
        #expect(
            try await fixture.store.payout(referenceID: reference)?.status == .requiresReview,
            "no refusal changed anything"
        )
        #expect(try await fixture.store.auditRecords(referenceID: reference, limit: 10).isEmpty)

        let signOut = try await http.post("/console/sign-out", form: [("csrf", csrf)], headers: ["Cookie": cookie])
        #expect(signOut.status == 303 && signOut.header("set-cookie")?.contains("Max-Age=0") == true)
        await fixture.stop()
    }

    @Test(
        "resolving through the form: bad input and Dollr's contradiction refused, then one audited resolution and one terminal event"
    )
    func resolution() async throws {
        let fixture = try await ConsoleFixture.start()
        let http = fixture.http
        let cookie = try await fixture.signIn()
        let reference = fixture.references[0]
        let csrf = try #require(try await http.get("/console/payouts/\(reference)", headers: ["Cookie": cookie]).csrf)
        let path = "/console/payouts/\(reference)/resolve"
        let post = { (fields: [(String, String)]) in
            try await http.post(path, form: fields + [("csrf", csrf)], headers: ["Cookie": cookie])
        }

        for (fields, message) in [
            ([("as", "PENDING"), ("operator", "ada"), ("note", "n")], "Choose the outcome"),
            ([("as", "COMPLETED"), ("operator", " "), ("note", "n")], "Give your name"),
            ([("as", "COMPLETED"), ("operator", "ada"), ("note", "")], "Say why"),
        ] {
            let answer = try await post(fields)
            #expect(
                answer.status == 422 && answer.body.contains(message),
                "\(answer.status): \(answer.body.suffix(300))"
            )
        }
        fixture.env.sandbox.sandbox.advanceClock(by: .seconds(700))  // Dollr completes every payout
        let contradicting = try await post([("as", "FAILED"), ("operator", "ada"), ("note", "no debit seen")])
        #expect(
            contradicting.status == 409
                && contradicting.body.contains("Dollr says payout \(reference) is COMPLETED, you asked for FAILED")
        )
        #expect(contradicting.body.contains("Nothing was changed"))
        #expect(try await fixture.store.payout(referenceID: reference)?.status == .requiresReview)

        let note = "<img src=x onerror=alert(2)> matches Dollr"
        let resolved = try await post([("as", "COMPLETED"), ("operator", "ada"), ("note", note)])
        #expect(resolved.status == 200, "\(resolved.body.suffix(400))")
        #expect(
            resolved.body.contains(
                "Resolved \(reference) as COMPLETED. Dollr said COMPLETED; hold posted 1010; audit record written."
            )
        )
        let payout = try #require(try await fixture.store.payout(referenceID: reference))
        #expect(payout.status == .completed && payout.reasonCode == "OPERATOR_RESOLVED")
        #expect(try await fixture.store.hold(referenceID: reference)?.state == .posted)
        let audit = try await fixture.store.auditRecords(referenceID: reference, limit: 10)
        #expect(
            audit.count == 1 && audit.first?.actor == "ada (console)" && audit.first?.note == note
                && audit.first?.forced == false
        )
        let event = try await fixture.terminalEvent(reference, status: "COMPLETED")
        #expect((event.json["reason"] as? [String: Any])?["code"] as? String == "OPERATOR_RESOLVED")

        let again = try await post([("as", "COMPLETED"), ("operator", "ada"), ("note", "twice")])
        #expect(again.status == 409 && again.body.contains("only REQUIRES_REVIEW payouts can be resolved"))
        let shown = try await http.get("/console/payouts/\(reference)", headers: ["Cookie": cookie])
        #expect(
            shown.body.contains("&lt;img src=x onerror=alert(2)&gt; matches Dollr")
                && shown.body.contains("<td>ada (console)</td>")
        )
        #expect(!shown.body.contains(#"id="resolve""#), "a final payout offers no form")

        // A script with the bearer token needs no CSRF token; forced over Dollr's answer, and the record says so.
        let forced = try await http.post(
            "/console/payouts/\(fixture.references[1])/resolve",
            form: [
                ("as", "FAILED"), ("operator", "ops-bot"), ("note", "recipient confirmed nothing arrived"),
                ("force", "1"),
            ],
            headers: Self.bearer
        )
        #expect(
            forced.status == 200 && forced.body.contains("forced over Dollr&#39;s answer"),
            "\(forced.body.suffix(300))"
        )
        #expect(try await fixture.store.hold(referenceID: fixture.references[1])?.state == .voided)
        #expect(
            try await fixture.store.auditRecords(referenceID: fixture.references[1], limit: 10).first?.forced == true
        )
        _ = try await fixture.terminalEvent(fixture.references[1], status: "FAILED")
        await fixture.stop()
    }

    @Test("kept dead letters are re-sent from the console, and arrive on the dead-letter topic")
    func deadLetterRetry() async throws {
        let fixture = try await ConsoleFixture.start()
        try await fixture.keepDeadLetter()
        let cookie = try await fixture.signIn()
        let page = try await fixture.http.get("/console/dead-letters", headers: ["Cookie": cookie])
        #expect(page.body.contains(#"id="retry""#) && page.body.contains("Send the 1 unsent again"))
        #expect(
            try await fixture.http.post("/console/dead-letters/retry", form: [], headers: ["Cookie": cookie]).status
                == 403,
            "no CSRF token"
        )
        let retried = try await fixture.http.post(
            "/console/dead-letters/retry",
            form: [("csrf", try #require(page.csrf))],
            headers: ["Cookie": cookie]
        )
        #expect(
            retried.status == 200 && retried.body.contains("Sent 1 kept dead letter(s); 0 refused"),
            "\(retried.body.suffix(300))"
        )
        #expect(try await fixture.store.unsentDeadLetterCount() == 0)
        let letters = fixture.outputs.deadLetters
        try await withDeadline(.seconds(60), "the letter on the topic") {
            await letters.wait { $0.contains { $0.header("dlq.reason") == "UNPARSEABLE" } }
        }
        await fixture.stop()
    }

    @Test(
        "payout-worker console without a token: pages show, no form is offered, every action is refused; SIGTERM stops it"
    )
    func readOnlyStandalone() async throws {
        let fixture = try await ConsoleFixture.start()
        let port = try LoopbackPort.free()
        let process = try ChildProcess(
            ChildProcess.payoutWorkerBinary,
            arguments: ["console"],
            environment: [
                "PAYOUT_STORE_URL": fixture.env.configuration.storeURL,
                "DOLLR_BASE_URL": fixture.env.sandbox.baseURL.absoluteString,
                "PAYOUT_ADMIN_PORT": "\(port)", "PAYOUT_LOG_LEVEL": "warning",
            ]
        )
        let http = ConsoleHTTP(port: port)
        try await eventually("the console listening", within: .seconds(60)) {
            (try? await http.get("/console"))?.status == 200
        }
        let overview = try await http.get("/console")
        #expect(
            overview.body.contains("Read-only: no admin token is configured")
                && overview.body.contains("console (no intake)")
        )
        #expect(overview.body.contains("without Kafka intake") && overview.body.contains(#"id="review-count">3<"#))
        let reference = fixture.references[0]
        let page = try await http.get("/console/payouts/\(reference)")
        #expect(
            page.status == 200 && !page.body.contains(#"id="resolve""#) && page.body.contains("needs the admin token")
        )
        for (path, form) in [
            ("/console/payouts/\(reference)/resolve", [("as", "COMPLETED"), ("operator", "ada"), ("note", "n")]),
            ("/console/dead-letters/retry", []), ("/console/sign-in", [("token", ConsoleFixture.token)]),
        ] {
            let answer = try await http.post(path, form: form, headers: Self.bearer)
            #expect(
                answer.status == 403 && answer.body.contains("no admin token is configured"),
                "\(path): \(answer.status)"
            )
        }
        #expect(try await fixture.store.payout(referenceID: reference)?.status == .requiresReview)
        process.signal(SIGTERM)
        #expect(try await process.waitForExit(within: .seconds(60)) == 0, "\(process.stderr.suffix(1000))")
        await fixture.stop()
    }
}
