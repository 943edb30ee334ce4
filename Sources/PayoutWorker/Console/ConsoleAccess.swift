import Crypto
public import DollrClient
import Foundation

/// Who may look at the console and who may change anything through it.
///
/// Without an admin token the console is read-only: every page shows, no form is offered, and
/// every state-changing request is refused. With one, a request is let in by an
/// `Authorization: Bearer <token>` header (scripts), or by the session cookie the sign-in form
/// sets (browsers). A form posted with the cookie must also carry the session's CSRF token, and a
/// browser's cross-site request is refused outright.
///
/// Sessions are stateless: the cookie is an expiry and a random nonce, signed with a key derived
/// from the token, so any replica with the same token accepts it, and changing the token ends
/// every session. The CSRF token is the same key's signature of the nonce.
public struct ConsoleAccess: Sendable {
    /// What a request may do.
    public enum Grant: Sendable, Equatable {
        /// No token is configured: pages only.
        case readOnly
        /// A bearer token: pages and actions; no CSRF token needed, a header is not ambient.
        case bearer
        /// A browser session: pages, and actions carrying this CSRF token.
        case session(csrf: String)
    }

    /// How long a browser session lasts.
    public static let sessionLifetime: Duration = .seconds(8 * 3600)
    static let cookieName = "payout_console"

    private let key: SymmetricKey?

    public init(token: Secret<String>?) {
        key = token.map { Self.derive($0.revealed) }
    }

    /// Whether a token is configured (actions possible at all).
    public var isEnabled: Bool { key != nil }

    /// The grant for a request with these headers, or nil when a token is configured and the
    /// request proves neither.
    func grant(authorization: String?, cookie: String?, now: Date) -> Grant? {
        guard let key else { return .readOnly }
        if let authorization, authorization.hasPrefix("Bearer "),
            matchesToken(String(authorization.dropFirst(7)), key: key)
        {
            return .bearer
        }
        guard let value = Self.cookieValue(named: Self.cookieName, in: cookie),
            let nonce = Self.verify(session: value, key: key, now: now)
        else { return nil }
        return .session(csrf: Self.csrf(nonce: nonce, key: key))
    }

    /// Whether a token typed into the sign-in form is the configured one.
    func accepts(token: String) -> Bool {
        guard let key else { return false }
        return matchesToken(token, key: key)
    }

    /// A new session's cookie value.
    func newSession(now: Date) -> String? {
        guard let key else { return nil }
        let expires = Int64(now.timeIntervalSince1970) + Self.sessionLifetime.components.seconds
        let nonce = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let signed = "\(expires).\(nonce)"
        return "\(signed).\(Self.hex(HMAC<SHA256>.authenticationCode(for: Data("session|\(signed)".utf8), using: key)))"
    }

    /// Compares the keys the two tokens derive: equal-length digests compared in constant time,
    /// so the time taken says nothing about how much of a guess was right.
    private func matchesToken(_ candidate: String, key: SymmetricKey) -> Bool {
        let candidateKey = Self.derive(candidate)
        let (expected, given) = (key.withUnsafeBytes { Array($0) }, candidateKey.withUnsafeBytes { Array($0) })
        return Self.constantTimeEqual(expected, given)
    }

    /// The console's own key from the token, so a signature made with it never doubles as anything else.
    private static func derive(_ token: String) -> SymmetricKey {
        SymmetricKey(
            data: Data(
                HMAC<SHA256>.authenticationCode(
                    for: Data("payout-worker console".utf8),
                    using: SymmetricKey(data: Data(token.utf8))
                )
            )
        )
    }

    private static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The nonce of a well-signed, unexpired session value.
    private static func verify(session value: String, key: SymmetricKey, now: Date) -> String? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expires = Int64(parts[0]), expires > Int64(now.timeIntervalSince1970),
            let signature = Self.bytes(hex: String(parts[2]))
        else { return nil }
        let signed = "\(parts[0]).\(parts[1])"
        guard
            HMAC<SHA256>.isValidAuthenticationCode(
                signature,
                authenticating: Data("session|\(signed)".utf8),
                using: key
            )
        else { return nil }
        return String(parts[1])
    }

    private static func csrf(nonce: String, key: SymmetricKey) -> String {
        hex(HMAC<SHA256>.authenticationCode(for: Data("csrf|\(nonce)".utf8), using: key))
    }

    /// Whether a posted CSRF token is the session's, compared in constant time.
    static func csrfMatches(_ posted: String?, _ expected: String) -> Bool {
        guard let posted else { return false }
        return constantTimeEqual(Array(posted.utf8), Array(expected.utf8))
    }

    static func cookieValue(named name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let trimmed = pair.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("\(name)=") { return String(trimmed.dropFirst(name.count + 1)) }
        }
        return nil
    }

    private static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let characters = Array(hex.utf8)
        guard characters.count % 2 == 0, !characters.isEmpty else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: characters.count, by: 2) {
            guard let byte = UInt8(String(decoding: characters[index...index + 1], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        return bytes
    }
}
