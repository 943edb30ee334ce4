import Synchronization

/// Tokens the sandbox has issued and when each expires. A request is authorised only by a token from here that has
/// not expired.
final class TokenStore: Sendable {
    private struct State {
        var expiries: [String: ContinuousClock.Instant] = [:]
        var issued = 0
    }

    private let state = Mutex(State())

    func issue(lifetime: Duration, now: ContinuousClock.Instant) -> String {
        var generator = SystemRandomNumberGenerator()
        let token = "sbx_" + (0..<4).map { _ in Self.hex(generator.next()) }.joined()
        self.state.withLock { state in
            // Forget expired tokens now and then so that a long run does not grow without bound.
            if state.expiries.count > 10_000 { state.expiries = state.expiries.filter { $0.value > now } }
            state.expiries[token] = now + lifetime
            state.issued += 1
        }
        return token
    }

    func isValid(_ token: Substring, now: ContinuousClock.Instant) -> Bool {
        self.state.withLock { state in
            guard let expiry = state.expiries[String(token)] else { return false }
            return now < expiry
        }
    }

    /// Makes every issued token invalid; returns how many were still valid.
    func expireAll(now: ContinuousClock.Instant) -> Int {
        self.state.withLock { state in
            let valid = state.expiries.values.filter { $0 > now }.count
            state.expiries.removeAll()
            return valid
        }
    }

    var issuedCount: Int { self.state.withLock { $0.issued } }

    /// Every token still held, for tests that check none of them reached a log.
    var tokens: [String] { self.state.withLock { Array($0.expiries.keys) } }

    private static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
