/// A configuration that cannot be used, naming the key and what is wrong with it.
///
/// `key` is a JSON path in the file (`engine.poll_budget_ms`) or an environment variable name
/// (`PAYOUT_ADMIN_PORT`). The reason never repeats a secret, a phone number or a store URL, since
/// those may hold credentials or personal data; it repeats numbers and names only.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Origin: Sendable, Hashable {
        /// A member of the JSON file at this path.
        case file(String)
        /// An environment variable.
        case environment
        /// A rule between settings, whatever source each came from; `key` is the JSON path.
        case settings
    }

    public var origin: Origin
    public var key: String
    public var reason: String

    public init(_ origin: Origin, key: String, reason: String) {
        self.origin = origin
        self.key = key
        self.reason = reason
    }

    public var description: String {
        switch self.origin {
        case .file(let path) where self.key.isEmpty: "configuration file \(path): \(self.reason)"
        case .file(let path): "configuration file \(path): \(self.key): \(self.reason)"
        case .environment: "environment variable \(self.key): \(self.reason)"
        case .settings: "configuration \(self.key): \(self.reason)"
        }
    }
}
