import ArgumentParser

struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "broker", abstract: "Runs the embedded Kafka broker.")
    func run() async throws {}
}
