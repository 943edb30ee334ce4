/// The merchant's Dollr credentials, read from the environment by both the worker and the sandbox so that one
/// environment makes both sides agree.
///
/// | variable | field |
/// |---|---|
/// | `DOLLR_CLIENT_ID` | ``clientID`` |
/// | `DOLLR_CLIENT_SECRET` | ``clientSecret`` |
/// | `MERCHANT_PASSCODE` | ``passcode`` |
/// | `MERCHANT_PASSCODE_PHONE` | ``passcodePhone`` |
public struct MerchantCredentials: Sendable, Equatable {
    public var clientID: String
    public var clientSecret: Secret<String>
    public var passcode: Secret<String>
    /// The phone registered with the passcode (the passcode object's `token.phone`).
    public var passcodePhone: PhoneNumber

    public init(clientID: String, clientSecret: Secret<String>, passcode: Secret<String>, passcodePhone: PhoneNumber) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.passcode = passcode
        self.passcodePhone = passcodePhone
    }

    /// The sandbox merchant: `sandbox-client` / `sandbox-secret`, passcode `123456`, passcode phone `231770000001`.
    public static let sandboxDefaults = MerchantCredentials(
        clientID: "sandbox-client",
        clientSecret: Secret("sandbox-secret"),
        passcode: Secret("123456"),
        passcodePhone: try! PhoneNumber("231770000001")
    )

    /// Reads the four variables. A variable that is unset (or empty) takes its value from `defaults`; without
    /// defaults it is an error, which is what a production worker wants.
    public static func fromEnvironment(
        _ environment: [String: String],
        defaults: MerchantCredentials? = nil
    ) throws(MerchantCredentialsError) -> MerchantCredentials {
        func value(_ name: String, _ fallback: String?) throws(MerchantCredentialsError) -> String {
            if let value = environment[name], !value.isEmpty { return value }
            guard let fallback else { throw .missing(name) }
            return fallback
        }
        let clientID = try value("DOLLR_CLIENT_ID", defaults?.clientID)
        let clientSecret = try value("DOLLR_CLIENT_SECRET", defaults?.clientSecret.revealed)
        let passcode = try value("MERCHANT_PASSCODE", defaults?.passcode.revealed)
        let phoneText = try value("MERCHANT_PASSCODE_PHONE", defaults?.passcodePhone.revealed)
        let phone: PhoneNumber
        do {
            phone = try PhoneNumber(phoneText)
        } catch {
            throw .invalid("MERCHANT_PASSCODE_PHONE", error.description)
        }
        return MerchantCredentials(
            clientID: clientID,
            clientSecret: Secret(clientSecret),
            passcode: Secret(passcode),
            passcodePhone: phone
        )
    }
}

/// A credential variable that is missing or malformed; names the variable, never its value.
public enum MerchantCredentialsError: Error, Sendable, Hashable, CustomStringConvertible {
    case missing(String)
    case invalid(String, String)

    public var description: String {
        switch self {
        case .missing(let name): "environment variable \(name) is not set"
        case .invalid(let name, let reason): "environment variable \(name) is invalid: \(reason)"
        }
    }
}
