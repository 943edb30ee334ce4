import HTTPTypes
import Hummingbird

/// The console's responses and the headers every one of them carries.
enum ConsoleResponses {
    /// Scripts, styles and forms from this origin only; no inline script or style, no frames, no
    /// plugins. Live updates fetch this origin.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func html(_ status: HTTPResponse.Status, _ body: String, extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            // Pages hold payout data: no cache keeps them.
            .cacheControl: "no-store",
            .contentSecurityPolicy: contentSecurityPolicy,
            .contentTypeOptions: "nosniff",
            .frameOptions: "DENY",
            .referrerPolicy: "no-referrer",
        ]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: type, .cacheControl: "no-cache", .contentTypeOptions: "nosniff",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// The session cookie: not readable by scripts, never sent cross-site, console paths only.
    static func sessionCookie(_ value: String, secure: Bool) -> String {
        "\(ConsoleAccess.cookieName)=\(value); Path=/console; HttpOnly; SameSite=Strict; Max-Age=\(ConsoleAccess.sessionLifetime.components.seconds)"
            + (secure ? "; Secure" : "")
    }

    static func clearedCookie(secure: Bool) -> String {
        "\(ConsoleAccess.cookieName)=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0" + (secure ? "; Secure" : "")
    }
}
