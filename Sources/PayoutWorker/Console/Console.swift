import Foundation
import HTTPTypes
public import Hummingbird
import Mustache
import PayoutEngine

/// The operator console: server-rendered pages under `/console` on the admin server, for the
/// review queue, payouts, wallets, dead letters and the worker's health. See ``ConsoleAccess``
/// for who may do what.
public struct Console: Sendable {
    let backend: ConsoleBackend
    let access: ConsoleAccess
    /// How often a page with live figures refreshes itself where JavaScript runs.
    let refreshSeconds: Int

    public init(backend: ConsoleBackend, access: ConsoleAccess, refreshSeconds: Int = 5) {
        self.backend = backend
        self.access = access
        self.refreshSeconds = refreshSeconds
    }

    /// Adds the console's routes to the admin server's router.
    public func register(on router: Router<BasicRequestContext>) {
        let console = router.group("console")
        console.get { request, _ in
            await page(request, title: "Overview", section: .overview, refresh: true) { pages, _ in
                ("overview", try await pages.overview())
            }
        }
        console.get("review") { request, _ in
            await page(request, title: "Review queue", section: .review, refresh: true) { pages, _ in
                ("review", try await pages.review())
            }
        }
        console.get("payouts") { request, _ in
            let status = request.uri.queryParameters["status"].flatMap {
                PayoutStatus(rawValue: String($0).uppercased())
            }
            return await page(request, title: "Payouts", section: .payouts, refresh: false) { pages, _ in
                ("payouts", try await pages.payouts(status: status))
            }
        }
        console.get("payouts/:reference") { request, context in
            let reference = context.parameters.get("reference") ?? ""
            return await page(request, title: "Payout", section: .payouts, refresh: false) { pages, grant in
                let referenceID = try Self.referenceID(reference)
                guard var detail = try await pages.detail(referenceID: referenceID) else {
                    throw ConsoleRefusal.notFound("no payout with reference_id \(referenceID)")
                }
                if detail.underReview {
                    if case .session(let csrf) = grant {
                        detail.resolveCSRF = csrf
                    } else {
                        detail.resolveNeedsToken = grant == .readOnly
                    }
                }
                return ("payout", detail)
            }
        }
        console.post("payouts/:reference/resolve") { request, context in
            await action(request) { form, grant in
                try await resolve(try Self.referenceID(context.parameters.get("reference") ?? ""), form, grant: grant)
            }
        }
        console.get("wallets") { request, _ in
            await page(request, title: "Wallets", section: .wallets, refresh: true) { pages, _ in
                ("wallets", try await pages.wallets())
            }
        }
        console.get("dead-letters") { request, _ in
            await page(request, title: "Dead letters", section: .deadLetters, refresh: false) { pages, grant in
                var list = try await pages.deadLetters()
                if case .session(let csrf) = grant, list.unsent > 0, backend.resendDeadLetters != nil {
                    list.retryCSRF = csrf
                }
                return ("dead-letters", list)
            }
        }
        console.post("dead-letters/retry") { request, _ in
            await action(request) { _, grant in try await resendDeadLetters(grant: grant) }
        }
        console.get("sign-in") { request, _ in
            render(
                .ok,
                title: "Sign in",
                section: nil,
                grant: nil,
                refresh: false,
                template: "sign-in",
                model: SignIn(error: nil)
            )
        }
        console.post("sign-in") { request, _ in await signIn(request) }
        console.post("sign-out") { request, _ in
            await action(request) { _, _ in
                var response = Response(status: .seeOther, headers: [.location: "/console/sign-in"])
                response.headers[.setCookie] = ConsoleResponses.clearedCookie(secure: Self.isHTTPS(request))
                return response
            }
        }
        console.get("assets/console.css") { _, _ in
            ConsoleResponses.asset(ConsoleAssets.css, type: "text/css; charset=utf-8")
        }
        console.get("assets/console.js") { _, _ in
            ConsoleResponses.asset(ConsoleAssets.javaScript, type: "text/javascript; charset=utf-8")
        }
    }

    // MARK: Pages

    enum Section: String, CaseIterable {
        case overview = "Overview"
        case review = "Review queue"
        case payouts = "Payouts"
        case wallets = "Wallets"
        case deadLetters = "Dead letters"

        var href: String {
            switch self {
            case .overview: "/console"
            case .review: "/console/review"
            case .payouts: "/console/payouts"
            case .wallets: "/console/wallets"
            case .deadLetters: "/console/dead-letters"
            }
        }
    }

    struct Frame {
        struct NavItem {
            var label: String
            var href: String
            var current: Bool
        }
        var title: String
        var nav: [NavItem]
        var servedBy: String
        var signOutCSRF: String?
        var readOnly: Bool
        var refreshSeconds: Int?
        var content: String
    }

    struct SignIn { var error: String? }

    struct Result {
        var heading: String
        var tone: String
        var message: String
        var lines: [String]
        var backHref: String
        var backLabel: String
    }

    /// A page for whoever may read: its model is built, rendered and framed.
    private func page(
        _ request: Request,
        title: String,
        section: Section,
        refresh: Bool,
        _ build: (ConsolePages, ConsoleAccess.Grant) async throws -> (String, Any)
    ) async -> Response {
        guard
            let grant = access.grant(
                authorization: request.headers[.authorization],
                cookie: request.headers[.cookie],
                now: Date()
            )
        else {
            return render(
                .unauthorized,
                title: "Sign in",
                section: nil,
                grant: nil,
                refresh: false,
                template: "sign-in",
                model: SignIn(error: nil),
                extra: [.wwwAuthenticate: #"Bearer realm="payout-worker console""#]
            )
        }
        do {
            let (template, model) = try await build(ConsolePages(backend: backend, now: StoreClock.system.now()), grant)
            return render(
                .ok,
                title: title,
                section: section,
                grant: grant,
                refresh: refresh,
                template: template,
                model: model
            )
        } catch {
            return refusal(error, grant: grant)
        }
    }

    private func render(
        _ status: HTTPResponse.Status,
        title: String,
        section: Section?,
        grant: ConsoleAccess.Grant?,
        refresh: Bool,
        template: String,
        model: Any,
        extra: HTTPFields = [:]
    ) -> Response {
        let content = ConsoleTemplates.library.render(model, withTemplate: template) ?? ""
        var signOut: String?
        if case .session(let csrf)? = grant { signOut = csrf }
        let frame = Frame(
            title: title,
            nav: grant == nil
                ? []
                : Section.allCases.map { Frame.NavItem(label: $0.rawValue, href: $0.href, current: $0 == section) },
            servedBy: backend.workerID.map { "worker \($0)" } ?? "console (no intake)",
            signOutCSRF: signOut,
            readOnly: grant == .readOnly,
            refreshSeconds: refresh ? refreshSeconds : nil,
            content: content
        )
        return ConsoleResponses.html(
            status,
            ConsoleTemplates.library.render(frame, withTemplate: "layout") ?? "",
            extra: extra
        )
    }

    private func result(_ status: HTTPResponse.Status, grant: ConsoleAccess.Grant?, _ result: Result) -> Response {
        render(
            status,
            title: result.heading,
            section: nil,
            grant: grant,
            refresh: false,
            template: "result",
            model: result
        )
    }

    private func refusal(_ error: any Error, grant: ConsoleAccess.Grant?) -> Response {
        let back = Result(
            heading: "Refused",
            tone: "bad",
            message: "",
            lines: [],
            backHref: "/console",
            backLabel: "Back to the overview"
        )
        switch error {
        case let refusal as ConsoleRefusal:
            var page = back
            page.message = refusal.message
            return result(refusal.status, grant: grant, page)
        case let error as StoreError:
            var page = back
            page.heading = "The store did not answer"
            page.message = LogRedaction.redact("\(error)")
            return result(.serviceUnavailable, grant: grant, page)
        default:
            var page = back
            page.heading = "Failed"
            page.message = LogRedaction.redact("\(error)")
            return result(.internalServerError, grant: grant, page)
        }
    }

    // MARK: Actions

    /// A state-changing request: refused unless a token is configured, the request is not a
    /// browser's cross-site one, it proves the token, and a session's form carries its CSRF token.
    private func action(
        _ request: Request,
        _ perform: ([String: String], ConsoleAccess.Grant) async throws -> Response
    ) async -> Response {
        let grant = access.grant(
            authorization: request.headers[.authorization],
            cookie: request.headers[.cookie],
            now: Date()
        )
        guard access.isEnabled else {
            return refusal(
                ConsoleRefusal(
                    .forbidden,
                    "The console is read-only: no admin token is configured (PAYOUT_ADMIN_TOKEN)."
                ),
                grant: grant
            )
        }
        if let reason = Self.crossSite(request) { return refusal(ConsoleRefusal(.forbidden, reason), grant: grant) }
        guard let grant else {
            return refusal(ConsoleRefusal(.unauthorized, "Sign in with the admin token first."), grant: nil)
        }
        do {
            let form = try await Self.form(request)
            if case .session(let csrf) = grant, !ConsoleAccess.csrfMatches(form["csrf"], csrf) {
                throw ConsoleRefusal(
                    .forbidden,
                    "The form's CSRF token is missing or stale: reload the page and submit it again."
                )
            }
            return try await perform(form, grant)
        } catch {
            return refusal(error, grant: grant)
        }
    }

    /// The reference_id a console path names; text that is none is a page that does not exist.
    private static func referenceID(_ text: String) throws(ConsoleRefusal) -> ReferenceID {
        do {
            return try ReferenceID(parsing: text)
        } catch {
            throw ConsoleRefusal.notFound("no payout with reference_id \(text): \(error)")
        }
    }

    private func resolve(
        _ reference: ReferenceID,
        _ form: [String: String],
        grant: ConsoleAccess.Grant
    ) async throws -> Response {
        guard let status = form["as"].flatMap({ PayoutStatus(rawValue: $0) }), status == .completed || status == .failed
        else {
            throw ConsoleRefusal(.unprocessableContent, "Choose the outcome: COMPLETED or FAILED.")
        }
        let operatorName = (form["operator"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !operatorName.isEmpty, operatorName.count <= 100 else {
            throw ConsoleRefusal(
                .unprocessableContent,
                "Give your name (at most 100 characters): the audit record says who resolved it."
            )
        }
        let note = (form["note"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty, note.count <= 2_000 else {
            throw ConsoleRefusal(
                .unprocessableContent,
                "Say why (at most 2,000 characters): the note is kept in the audit record."
            )
        }
        let resolution = ConsoleBackend.Resolution(
            referenceID: reference,
            status: status,
            note: note,
            operatorName: "\(operatorName) (console)",
            force: form["force"] == "1"
        )
        let audit: ResolutionAudit
        do {
            audit = try await backend.resolve(resolution)
        } catch {
            throw ConsoleRefusal(error)
        }
        return result(
            .ok,
            grant: grant,
            Result(
                heading: "Resolved",
                tone: "good",
                message:
                    "Resolved \(audit.referenceID) as \(audit.statusAfter.rawValue). Dollr said \(audit.providerAnswer); hold \(audit.ledger); audit record written\(audit.forced ? ", forced over Dollr's answer" : "").",
                lines: ["The terminal event (reason OPERATOR_RESOLVED) is in the outbox; the workers publish it."],
                backHref: "/console/payouts/\(audit.referenceID)",
                backLabel: "Back to the payout"
            )
        )
    }

    private func resendDeadLetters(grant: ConsoleAccess.Grant) async throws -> Response {
        guard let resend = backend.resendDeadLetters else {
            throw ConsoleRefusal(
                .notImplemented,
                "This console has no Kafka producer; use `payout-worker dead-letters retry`."
            )
        }
        let outcome = try await resend()
        let refused = outcome.refused.map { "Refused \($0.id): \(LogRedaction.redact($0.error))" }
        return result(
            refused.isEmpty ? .ok : .badGateway,
            grant: grant,
            Result(
                heading: refused.isEmpty ? "Sent" : "Some were refused again",
                tone: refused.isEmpty ? "good" : "bad",
                message:
                    "Sent \(outcome.sent.count) kept dead letter(s); \(outcome.refused.count) refused and still kept.",
                lines: refused,
                backHref: "/console/dead-letters",
                backLabel: "Back to the dead letters"
            )
        )
    }

    private func signIn(_ request: Request) async -> Response {
        if let reason = Self.crossSite(request) { return refusal(ConsoleRefusal(.forbidden, reason), grant: nil) }
        guard access.isEnabled else {
            return refusal(
                ConsoleRefusal(
                    .forbidden,
                    "There is nothing to sign in to: no admin token is configured (PAYOUT_ADMIN_TOKEN)."
                ),
                grant: nil
            )
        }
        let form = (try? await Self.form(request)) ?? [:]
        guard let token = form["token"], access.accepts(token: token), let session = access.newSession(now: Date())
        else {
            return render(
                .unauthorized,
                title: "Sign in",
                section: nil,
                grant: nil,
                refresh: false,
                template: "sign-in",
                model: SignIn(error: "That is not the admin token.")
            )
        }
        var response = Response(status: .seeOther, headers: [.location: "/console"])
        response.headers[.setCookie] = ConsoleResponses.sessionCookie(session, secure: Self.isHTTPS(request))
        return response
    }

    // MARK: Request reading

    /// Why a browser's request is cross-site, or nil. Browsers send `Sec-Fetch-Site` and `Origin`
    /// with a form post; a script's request has neither and proves itself with the token alone.
    static func crossSite(_ request: Request) -> String? {
        if let site = request.headers[.fetchSite], site != "same-origin", site != "none" {
            return "Refused a \(site) request: the console takes forms from its own pages only."
        }
        if let origin = request.headers[.origin], origin != "null" {
            let host = request.head.authority ?? ""
            guard let url = URL(string: origin), let originHost = url.host else {
                return "Refused a request from an unreadable origin."
            }
            let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
            if originAuthority != host {
                return "Refused a request from another origin: the console takes forms from its own pages only."
            }
        }
        return nil
    }

    static func isHTTPS(_ request: Request) -> Bool {
        request.headers[.forwardedProto]?.lowercased() == "https"
    }

    /// An `application/x-www-form-urlencoded` body of at most 16 KiB.
    static func form(_ request: Request) async throws -> [String: String] {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("application/x-www-form-urlencoded")
        else {
            throw ConsoleRefusal(.unsupportedMediaType, "Send the form as application/x-www-form-urlencoded.")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: 16_384)
        } catch {
            throw ConsoleRefusal(.contentTooLarge, "The form is larger than 16 KiB.")
        }
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
