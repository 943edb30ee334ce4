import DollrClient

extension SandboxConfiguration {
    /// Builds the configuration from an optional JSON document (see ``SandboxConfiguration``) and the environment;
    /// environment variables win over the file for the merchant credentials.
    public static func load(
        json: [UInt8]?,
        environment: [String: String]
    ) throws(SandboxConfigurationError)
        -> SandboxConfiguration
    {
        var configuration = SandboxConfiguration()
        if let json {
            let document: JSONObject
            do {
                document = try JSONParser.parse(json).object(context: "configuration")
            } catch {
                throw SandboxConfigurationError(reason: "\(error)")
            }
            try configuration.apply(document)
        }
        do {
            configuration.merchant = try MerchantCredentials.fromEnvironment(
                environment,
                defaults: configuration.merchant
            )
        } catch {
            throw SandboxConfigurationError(reason: error.description)
        }
        return configuration
    }

    private mutating func apply(_ document: JSONObject) throws(SandboxConfigurationError) {
        for member in document.members {
            let value = member.value
            switch member.key {
            case "client_id": self.merchant.clientID = try Self.string(value, member.key)
            case "client_secret": self.merchant.clientSecret = Secret(try Self.string(value, member.key))
            case "passcode": self.merchant.passcode = Secret(try Self.string(value, member.key))
            case "passcode_phone":
                do {
                    self.merchant.passcodePhone = try PhoneNumber(try Self.string(value, member.key))
                } catch {
                    throw SandboxConfigurationError(reason: "passcode_phone: \(error)")
                }
            case "passcode_user_id": self.passcodeUserID = try Self.string(value, member.key)
            case "merchant_verified":
                guard case .bool(let flag) = value else { throw .init(reason: "merchant_verified: expected a boolean") }
                self.merchantVerified = flag
            case "token_lifetime_minutes": self.tokenLifetimeMinutes = try Self.integer(value, member.key, minimum: 1)
            case "session_lifetime_ms":
                self.sessionLifetime = .milliseconds(try Self.integer(value, member.key, minimum: 0))
            case "seed": self.seed = UInt64(try Self.integer(value, member.key, minimum: 0))
            case "wallets": self.wallets = try Self.amounts(value, member.key)
            case "fees": try self.applyFees(value)
            case "faults":
                guard case .object(let patch) = value else { throw .init(reason: "faults: expected an object") }
                let issues = self.faults.apply(patch, loc: ["faults"])
                guard issues.isEmpty else { throw .init(reason: issues.map(\.description).joined(separator: "; ")) }
            default:
                throw SandboxConfigurationError(reason: "unknown member '\(member.key)'")
            }
        }
    }

    private mutating func applyFees(_ value: JSONValue) throws(SandboxConfigurationError) {
        guard case .object(let fees) = value else { throw .init(reason: "fees: expected an object") }
        for member in fees.members {
            switch member.key {
            case "basis_points": self.fees.basisPoints = try Self.integer(member.value, "fees.basis_points", minimum: 0)
            case "minimums":
                let minimums = try Self.amounts(member.value, "fees.minimums")
                self.fees.minimums = Dictionary(minimums.map { ($0.currency, $0) }, uniquingKeysWith: { $1 })
            default: throw .init(reason: "unknown member 'fees.\(member.key)'")
            }
        }
    }

    private static func string(_ value: JSONValue, _ name: String) throws(SandboxConfigurationError) -> String {
        guard case .string(let text) = value else { throw .init(reason: "\(name): expected a string") }
        return text
    }

    private static func integer(
        _ value: JSONValue,
        _ name: String,
        minimum: Int
    ) throws(SandboxConfigurationError)
        -> Int
    {
        guard case .number(let literal) = value, let number = Int(literal), number >= minimum else {
            throw .init(reason: "\(name): expected an integer >= \(minimum)")
        }
        return number
    }

    /// `{"USD": "1000.00", ...}` to amounts, in currency order so that wallet ids are stable.
    private static func amounts(_ value: JSONValue, _ name: String) throws(SandboxConfigurationError) -> [Money] {
        guard case .object(let object) = value else { throw .init(reason: "\(name): expected an object") }
        var amounts: [Money] = []
        for member in object.members {
            guard case .string(let text) = member.value else {
                throw .init(reason: "\(name).\(member.key): expected a decimal string")
            }
            do {
                amounts.append(try Money(parsing: text, currency: try CurrencyCode(member.key)))
            } catch {
                throw .init(reason: "\(name).\(member.key): \(error)")
            }
        }
        return amounts.sorted { $0.currency < $1.currency }
    }
}

/// A configuration file that cannot be used; says which member and why.
public struct SandboxConfigurationError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { "invalid sandbox configuration: \(self.reason)" }
}
