/// The topics the worker uses by default.
enum PayoutTopics {
    static let commands = "payouts.commands"
    static let status = "payouts.status"
    static let deadLetters = "payouts.commands.dlq"
    static let all = [commands, status, deadLetters]
}
