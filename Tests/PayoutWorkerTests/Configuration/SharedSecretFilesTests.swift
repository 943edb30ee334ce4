import DollrClient
import DollrSandbox
import Foundation
import PayoutWorker
import Testing

/// One environment, both sides: the worker's loader and the sandbox read `*_FILE` secrets through the same helper,
/// so a deployment that keeps its secrets in files gets a sandbox that accepts the worker's token call and passcode.
@Suite("Worker and sandbox agree on *_FILE secrets")
struct SharedSecretFilesTests {
    @Test func oneEnvironmentWithSecretFilesMakesBothSidesAgree() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let environment = [
            "DOLLR_CLIENT_SECRET_FILE": try scratch.write("client-secret", "shared-file-secret-31\n"),
            "MERCHANT_PASSCODE_FILE": try scratch.write("passcode", "909090\n"),
        ]
        let worker = try WorkerConfigurationLoader.load(file: nil, environment: environment)
        var sandboxConfiguration = try SandboxConfiguration.load(json: nil, environment: environment)
        sandboxConfiguration.seed = 1
        #expect(worker.dollr.credentials == sandboxConfiguration.merchant)
        #expect(sandboxConfiguration.merchant.clientSecret.revealed == "shared-file-secret-31")

        // And over the wire: the token call and the passcode check both pass.
        let server = try await SandboxServer.start(configuration: sandboxConfiguration, logger: quietLogger)
        let client = DollrClient(
            configuration: DollrConfiguration(baseURL: server.baseURL, credentials: worker.dollr.credentials),
            logger: quietLogger
        )
        do {
            let account = try await client.createPaymentAccount(
                CreatePaymentAccountRequest(
                    accountName: "Jane Doe",
                    provider: .orangeMoneyLiberia,
                    method: .orangeMoneyLiberia,
                    partyID: 7
                )
            )
            let session = try await client.createPayoutSession(
                CreatePayoutSessionRequest(
                    payoutAccountID: account.id,
                    amount: try Money(parsing: "1.00", currency: .usd)
                )
            )
            let referenceID = UUID()
            _ = try await client.executePayout(
                ExecutePayoutRequest(sessionID: session.id, payoutAccountID: account.id, referenceID: referenceID)
            )
            #expect(server.sandbox.ledgerSnapshot().execution(referenceID.uuidString)?.accepted == true)
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        try await client.shutdown()
        await server.stop()
    }
}
