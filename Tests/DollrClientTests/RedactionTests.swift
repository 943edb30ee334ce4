import DollrClient
import Testing

@Suite("Secrets and phone numbers never print")
struct RedactionTests {
    @Test func secretPrintsRedacted() {
        let secret = Secret("hunter2-value")
        let views = [
            secret.description, secret.debugDescription, "\(secret)", String(reflecting: secret),
            String(describing: secret), Self.dumped(secret), Self.dumped([secret]), "\(Optional(secret) as Any)",
        ]
        for view in views {
            #expect(!view.contains("hunter2"), "leaked: \(view)")
        }
        #expect(secret.description == "<redacted>")
        #expect(Mirror(reflecting: secret).children.isEmpty)
        #expect(!((secret as Any) is any Encodable))
        #expect(secret.revealed == "hunter2-value")
    }

    @Test func secretsInsideConfigurationDoNotLeak() throws {
        let credentials = MerchantCredentials(
            clientID: "id",
            clientSecret: Secret("top-secret-1"),
            passcode: Secret("9142"),
            passcodePhone: try PhoneNumber("231775550123")
        )
        for view in [String(describing: credentials), String(reflecting: credentials), Self.dumped(credentials)] {
            #expect(!view.contains("top-secret-1"))
            #expect(!view.contains("9142"))
            #expect(!view.contains("231775550123"))
        }
    }

    @Test func phoneNumberMasksAllButLastFour() throws {
        let phone = try PhoneNumber("231770001234")
        #expect(phone.description == "********1234")
        #expect("\(phone)" == "********1234")
        #expect(String(reflecting: phone) == "********1234")
        #expect(!Self.dumped(phone).contains("23177000"))
        #expect(phone.revealed == "231770001234")
        #expect(try PhoneNumber("+231770001234") == phone)
        #expect(!((phone as Any) is any Encodable))
    }

    @Test(arguments: ["", "1234567", "0231770001234", "2317700012345678", "23177000abcd", "+", "231 770 001"])
    func phoneNumberRefusesMalformedInputWithoutEchoingIt(text: String) {
        do {
            _ = try PhoneNumber(text)
            Issue.record("accepted \(text)")
        } catch {
            // Inputs of three characters or more cannot occur in the fixed message by chance.
            #expect(text.count < 3 || !error.description.contains(text))
        }
    }

    @Test func credentialsFromEnvironment() throws {
        let environment = [
            "DOLLR_CLIENT_ID": "cid", "DOLLR_CLIENT_SECRET": "csecret", "MERCHANT_PASSCODE": "4321",
            "MERCHANT_PASSCODE_PHONE": "250781234567",
        ]
        let credentials = try MerchantCredentials.fromEnvironment(environment)
        #expect(credentials.clientID == "cid")
        #expect(credentials.clientSecret.revealed == "csecret")
        #expect(credentials.passcode.revealed == "4321")
        #expect(credentials.passcodePhone.revealed == "250781234567")
        #expect(throws: MerchantCredentialsError.missing("DOLLR_CLIENT_ID")) {
            try MerchantCredentials.fromEnvironment([:])
        }
        #expect(try MerchantCredentials.fromEnvironment([:], defaults: .sandboxDefaults) == .sandboxDefaults)
        var badPhone = environment
        badPhone["MERCHANT_PASSCODE_PHONE"] = "12"
        do {
            _ = try MerchantCredentials.fromEnvironment(badPhone)
            Issue.record("accepted a bad phone")
        } catch {
            guard case .invalid("MERCHANT_PASSCODE_PHONE", _) = error else {
                Issue.record("wrong error \(error)")
                return
            }
        }
    }

    private static func dumped(_ value: some Any) -> String {
        var output = ""
        dump(value, to: &output)
        return output
    }
}
