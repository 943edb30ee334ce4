/// The `device` half of the passcode object: who is executing. For this worker `type` is always `SERVER`.
public struct DeviceInfo: Sendable, Hashable {
    public var name: String
    public var type: String
    public var platform: String
    public var userAgent: String
    public var clientIP: String

    public init(
        name: String = "payout-worker",
        type: String = "SERVER",
        platform: String = "linux",
        userAgent: String = "payout-worker/1.0",
        clientIP: String = "127.0.0.1"
    ) {
        self.name = name
        self.type = type
        self.platform = platform
        self.userAgent = userAgent
        self.clientIP = clientIP
    }

    var json: JSONObject {
        [
            "name": .string(self.name), "type": .string(self.type), "platform": .string(self.platform),
            "user_agent": .string(self.userAgent), "client_ip": .string(self.clientIP),
        ]
    }
}
