import DollrClient
import PayoutWorker
import Testing

@testable import PayoutEngine

@Suite struct AdminServerTests {
    /// Runs `body` against a started server and always shuts it down.
    private func withServer(
        _ report: ReadinessReport = ReadinessReport(checks: ["store": .ok]),
        _ body: (RunningAdminServer) async throws -> Void
    ) async throws {
        let server = RunningAdminServer()
        server.readiness = report
        try await server.start()
        do {
            try await body(server)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }

    private func json(_ body: String) throws -> JSONObject {
        guard case .object(let object) = try JSONParser.parse(body) else {
            throw JSONShapeMismatch(body: body)
        }
        return object
    }

    private struct JSONShapeMismatch: Error { var body: String }

    private func checks(_ object: JSONObject) -> JSONObject? {
        if case .object(let checks)? = object["checks"] { checks } else { nil }
    }

    @Test func healthzAnswersOkWhileRunning() async throws {
        try await self.withServer(ReadinessReport(checks: ["store": .failing("down")])) { server in
            #expect(server.port > 0)
            let answer = try await HTTPProbe.get(port: server.port, "/healthz")
            #expect(answer.status == 200)
            #expect(answer.contentType == "application/json")
            #expect(try self.json(answer.body) == ["status": .string("ok")])
        }
    }

    @Test func readyzIs200WhenEveryCheckIsOk() async throws {
        let report = ReadinessReport(checks: ["kafka": .ok, "store": .ok, "dollr": .ok, "merchant": .ok])
        try await self.withServer(report) { server in
            let answer = try await HTTPProbe.get(port: server.port, "/readyz")
            #expect(answer.status == 200)
            let body = try self.json(answer.body)
            #expect(body["status"] == .string("ready"))
            let checks = try #require(self.checks(body))
            #expect(checks.keys.sorted() == ["dollr", "kafka", "merchant", "store"])
            for name in checks.keys {
                #expect(checks[name] == .object(["status": .string("ok")]), "\(name)")
            }
        }
    }

    @Test func readyzIs503NotReadyWhenACheckFails() async throws {
        let report = ReadinessReport(checks: [
            "kafka": .ok, "store": .failing("connection refused"), "merchant": .degraded("merchant not verified"),
        ])
        try await self.withServer(report) { server in
            let answer = try await HTTPProbe.get(port: server.port, "/readyz")
            #expect(answer.status == 503)
            let body = try self.json(answer.body)
            #expect(body["status"] == .string("not_ready"))
            let checks = try #require(self.checks(body))
            #expect(checks["kafka"] == .object(["status": .string("ok")]))
            #expect(
                checks["store"] == .object(["status": .string("failing"), "message": .string("connection refused")])
            )
            #expect(
                checks["merchant"]
                    == .object(["status": .string("degraded"), "message": .string("merchant not verified")])
            )
        }
    }

    @Test func readyzIs503DegradedWhenOnlyTheMerchantIsRefused() async throws {
        var health = EngineHealth()
        health.passcodeRejected = true
        let report = ReadinessReport(checks: ["kafka": .ok, "store": .ok, "merchant": .merchant(health)])
        try await self.withServer(report) { server in
            let answer = try await HTTPProbe.get(port: server.port, "/readyz")
            #expect(answer.status == 503)
            let body = try self.json(answer.body)
            #expect(body["status"] == .string("degraded"))
            #expect(
                self.checks(body)?["merchant"]
                    == .object(["status": .string("degraded"), "message": .string("merchant passcode rejected")])
            )
        }
    }

    @Test func readyzFollowsTheReportOfEachRequest() async throws {
        try await self.withServer(ReadinessReport(checks: ["kafka": .failing("not joined")])) { server in
            let failing = try await HTTPProbe.get(port: server.port, "/readyz")
            #expect(failing.status == 503)
            server.readiness = ReadinessReport(checks: ["kafka": .ok])
            let ready = try await HTTPProbe.get(port: server.port, "/readyz")
            #expect(ready.status == 200)
            server.readiness = ReadinessReport(checks: ["kafka": .ok, "dollr": .failing("unreachable")])
            let failingAgain = try await HTTPProbe.get(port: server.port, "/readyz")
            #expect(failingAgain.status == 503)
        }
    }

    @Test func readinessMessagesAreMaskedLikeLogs() async throws {
        let report = ReadinessReport(checks: ["dollr": .failing("refused for 231771234567")])
        try await self.withServer(report) { server in
            let answer = try await HTTPProbe.get(port: server.port, "/readyz")
            #expect(
                self.checks(try self.json(answer.body))?["dollr"]
                    == .object(["status": .string("failing"), "message": .string("refused for ********4567")])
            )
        }
    }

    @Test func metricsServesThePrometheusTextFormat() async throws {
        try await self.withServer { server in
            server.metrics.commandsConsumed(3)
            server.metrics.deadLettered(reason: "VALIDATION_ERROR")
            let answer = try await HTTPProbe.get(port: server.port, "/metrics")
            #expect(answer.status == 200)
            #expect(answer.contentType.hasPrefix("text/plain; version=0.0.4"))
            let scrape = try PrometheusExposition(parsing: answer.body)
            #expect(scrape.value("payout_commands_consumed_total") == 3)
            #expect(scrape.value("payout_dead_letters_total", ["reason": "VALIDATION_ERROR"]) == 1)
            #expect(scrape.types["payout_in_flight"] == "gauge")
        }
    }

    @Test func unknownPathsAre404() async throws {
        try await self.withServer { server in
            let answer = try await HTTPProbe.get(port: server.port, "/admin")
            #expect(answer.status == 404)
        }
    }

    /// A graceful shutdown ends (`stop` fails past its deadline) and closes the port.
    @Test func gracefulShutdownEndsAndClosesThePort() async throws {
        let server = RunningAdminServer()
        try await server.start()
        let before = try await HTTPProbe.get(port: server.port, "/healthz")
        #expect(before.status == 200)
        try await server.stop()
        await #expect(throws: HTTPProbe.Failed.self) { try await HTTPProbe.get(port: server.port, "/healthz") }
    }
}

@Suite struct ReadinessReportTests {
    @Test func overallStatusIsTheWorstCheck() {
        #expect(ReadinessReport(checks: [:]).status == .ready)
        #expect(ReadinessReport(checks: ["a": .ok, "b": .ok]).isReady)
        #expect(ReadinessReport(checks: ["a": .ok, "b": .degraded("x")]).status == .degraded)
        #expect(!ReadinessReport(checks: ["a": .ok, "b": .degraded("x")]).isReady)
        #expect(ReadinessReport(checks: ["a": .degraded("x"), "b": .failing("y")]).status == .notReady)
        #expect(ReadinessReport(checks: ["a": .failing("y"), "b": .degraded("x")]).status == .notReady)
    }

    @Test func merchantCheckIsDegradedOnlyForMerchantLevelRefusals() {
        #expect(CheckResult.merchant(EngineHealth()) == .ok)
        var health = EngineHealth()
        health.providerUnavailable = true
        health.rateLimitedUntil = 1
        #expect(CheckResult.merchant(health) == .ok)
        health.merchantNotVerified = true
        health.credentialsRejected = true
        #expect(CheckResult.merchant(health) == .degraded("merchant not verified; client credentials rejected"))
    }
}
