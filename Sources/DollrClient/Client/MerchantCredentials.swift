/// The merchant's Dollr credentials, read from the environment by both the worker and the sandbox so that one
/// environment makes both sides agree.
///
/// | variable | field |
/// |---|---|
/// | `DOLLR_CLIENT_ID` | ``clientID`` |
/// | `DOLLR_CLIENT_SECRET` or `DOLLR_CLIENT_SECRET_FILE` | ``clientSecret`` |
/// | `MERCHANT_PASSCODE` or `MERCHANT_PASSCODE_FILE` | ``passcode`` |
/// | `MERCHANT_PASSCODE_PHONE` | ``passcodePhone`` |
///
/// The `_FILE` forms are read by ``SecretFile``, the one place both sides read them.
public struct MerchantCredentials: Sendable, Equatable {
    public var clientID: String
    public var clientSecret: Secret<String>
    public var passcode: Secret<String>
    /// The phone registered with the passcode (the passcode object's `token.phone`).
    public var passcodePhone: PhoneNumber

    /// The secrets that may be given as a file instead (see ``SecretFile``): variable and its `_FILE`.
    public static let secretFileVariables: [(variable: String, fileVariable: String)] = [
        ("DOLLR_CLIENT_SECRET", "DOLLR_CLIENT_SECRET" + SecretFile.suffix),
        ("MERCHANT_PASSCODE", "MERCHANT_PASSCODE" + SecretFile.suffix),
    ]

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

    /// Reads the four variables (a secret also from its `_FILE` variable). A variable that is unset (or empty)
    /// takes its value from `defaults`; without defaults it is an error, which is what a production worker wants.
    public static func fromEnvironment(
        _ environment: [String: String],
        defaults: MerchantCredentials? = nil
    ) throws(MerchantCredentialsError) -> MerchantCredentials {
        func value(_ name: String, _ fallback: String?) throws(MerchantCredentialsError) -> String {
            if let value = environment[name], !value.isEmpty { return value }
            guard let fallback else { throw .missing(name) }
            return fallback
        }
        func secret(_ name: String, _ fallback: String?) throws(MerchantCredentialsError) -> String {
            let fromFile: String?
            do {
                fromFile = try SecretFile.value(of: name, in: environment)
            } catch {
                throw .secretFile(error)
            }
            if let fromFile { return fromFile }
            return try value(name, fallback)
        }
        let clientID = try value("DOLLR_CLIENT_ID", defaults?.clientID)
        let clientSecret = try secret("DOLLR_CLIENT_SECRET", defaults?.clientSecret.revealed)
        let passcode = try secret("MERCHANT_PASSCODE", defaults?.passcode.revealed)
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

/// A credential variable that is missing or malformed; names the variable, never its value (nor a file's content).
public enum MerchantCredentialsError: Error, Sendable, Hashable, CustomStringConvertible {
    case missing(String)
    case invalid(String, String)
    /// A secret's `_FILE` variable cannot be used (set together with the secret, unreadable, or empty).
    case secretFile(SecretFileError)

    /// The variable to blame: the one an operator has to change.
    public var variable: String {
        switch self {
        case .missing(let name), .invalid(let name, _): name
        case .secretFile(let error): error.variable
        }
    }

    /// What is wrong with ``variable``, without naming it (the worker's loader puts it in its own key column).
    public var reason: String {
        switch self {
        case .missing(let name):
            MerchantCredentials.secretFileVariables.first { $0.variable == name }
                .map { "is not set (nor \($0.fileVariable))" } ?? "is not set"
        case .invalid(_, let reason): "is invalid: \(reason)"
        case .secretFile(let error): error.reason
        }
    }

    public var description: String { "environment variable \(self.variable) \(self.reason)" }
}
