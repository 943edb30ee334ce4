import DollrClient
import DollrSandbox
import Foundation
import Testing

@Suite("Every call against the sandbox over loopback")
struct ClientCallsTests {
    @Test func createsPaymentAccount() async throws {
        try await SandboxHarness.run { _, client in
            let account = try await client.makeAccount()
            #expect(account.id == 1)
            #expect(account.accountName == "Jane Doe")
            #expect(account.provider == .orangeMoneyLiberia)
            #expect(account.method == .orangeMoneyLiberia)
            #expect(account.partyID == 7)
            #expect(account.isActive)
            #expect(account.countryCode == "LR")
            #expect(account.createdAt.date != nil)
            #expect(try await client.makeAccount().id == 2)
        }
    }

    @Test func createsSessionBoundToTheCurrencyWallet() async throws {
        try await SandboxHarness.run { server, client in
            let account = try await client.makeAccount()
            let amount = Money.usd("100.50")
            let session = try await client.createPayoutSession(
                CreatePayoutSessionRequest(payoutAccountID: account.id, amount: amount)
            )
            #expect(session.amount == amount)
            #expect(session.payoutAccountID == account.id)
            #expect(session.walletID == String(server.sandbox.ledgerSnapshot().wallet(.usd)!.id))
            #expect(session.status == "PENDING")
            let lifetime = try #require(session.expiresAt.date).timeIntervalSince(try #require(session.createdAt.date))
            #expect(abs(lifetime - 900) < 0.001)
            let lrd = try await client.createPayoutSession(
                CreatePayoutSessionRequest(payoutAccountID: account.id, amount: Money(minorUnits: 1, currency: .lrd))
            )
            #expect(lrd.walletID == String(server.sandbox.ledgerSnapshot().wallet(.lrd)!.id))
            #expect(lrd.amount.description == "0.01")
        }
    }

    @Test func executesAndReadsStatus() async throws {
        try await SandboxHarness.run { _, client in
            let referenceID = UUID()
            let (_, execution) = try await client.pay(.usd("100.50"), referenceID: referenceID)
            #expect(execution.referenceID == referenceID)
            #expect(execution.status == .pending)
            #expect(execution.payeeAmount == .usd("100.50"))
            #expect(execution.payerAmount == .usd("101.51"))
            #expect(execution.operationType == .payout)
            #expect(execution.providerTransactionID == nil)
            let status = try await client.payoutStatus(referenceID: referenceID)
            #expect(status == execution)
        }
    }

    @Test func predictsAmountAndFees() async throws {
        try await SandboxHarness.run { _, client in
            let payer = try await client.predictAmountAndFees(
                AmountAndFeesQuery(
                    baseAmount: .usd("100.50"),
                    targetCurrency: .usd,
                    paymentMethod: .orangeMoneyLiberia,
                    provider: .orangeMoneyLiberia
                )
            )
            // 1% of 100.50 is 1.005, rounded up to the cent.
            #expect(payer.platformFee == .usd("1.01"))
            #expect(payer.payerAmount == .usd("101.51"))
            #expect(payer.payeeAmount == .usd("100.50"))
            #expect(payer.fxFee == nil)
            #expect(payer.gatewayFee == nil)
            let payee = try await client.predictAmountAndFees(
                AmountAndFeesQuery(
                    baseAmount: .usd("5.00"),
                    targetCurrency: .usd,
                    paymentMethod: .mtnMomoLiberia,
                    provider: .mtnMomoLiberia,
                    feeBearer: .payee
                )
            )
            // 1% of 5.00 is 0.05, below the USD minimum of 0.10.
            #expect(payee.platformFee == .usd("0.10"))
            #expect(payee.payerAmount == .usd("5.00"))
            #expect(payee.payeeAmount == .usd("4.90"))
        }
    }

    @Test func looksUpProvider() async throws {
        try await SandboxHarness.run { _, client in
            let phone = try PhoneNumber("231880001234")
            let info = try await client.lookupProvider(phone: phone)
            #expect(info.phone == phone)
            #expect(info.carrier == "Lonestar Cell MTN")
            #expect(info.country == "LR")
            #expect(info.currencies == [.usd, .lrd])
            #expect(info.paymentMethod == .mtnMomoLiberia)
            #expect(info.gatewayProvider == .mtnMomoLiberia)
            #expect(info.operationType == .payout)
            await #expect(throws: DollrError.notFound) {
                try await client.lookupProvider(phone: try PhoneNumber("4412345678"))
            }
        }
    }

    @Test func statusOfUnknownReferenceIsNotFound() async throws {
        try await SandboxHarness.run { _, client in
            await #expect(throws: DollrError.notFound) { try await client.payoutStatus(referenceID: UUID()) }
        }
    }
}
