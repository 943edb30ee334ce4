import AsyncHTTPClient
import CommandSupport
import DollrClient
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// end-to-end's ceiling: how many calls a second the sandbox answers to a plain AsyncHTTPClient
/// loop with the worker's concurrency (`maxConcurrent` callers, one connection pool of that size),
/// nothing of ours in between. Each call is `GET /v1/status/payout/{reference_id}` for a payout the
/// sandbox knows, the call the engine makes most; divided by the calls a payout makes, it bounds
/// payouts per second.
enum ProviderCeiling {
    struct Timing {
        var calls: Int
        var seconds: Double
        var perSecond: Double { seconds > 0 ? Double(calls) / seconds : 0 }
    }

    static func run(baseURL: URL, references: [String], maxConcurrent: Int, calls: Int) async throws -> Timing {
        precondition(!references.isEmpty)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(30))
        )
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maxConcurrent
        configuration.tracing.tracer = nil
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        do {
            let token = try await obtainToken(client: client, baseURL: baseURL)
            // A warm-up fills the connection pool, then the measured calls.
            _ = try await loop(
                client: client,
                baseURL: baseURL,
                token: token,
                references: references,
                maxConcurrent: maxConcurrent,
                calls: min(calls, maxConcurrent * 4)
            )
            let timing = try await loop(
                client: client,
                baseURL: baseURL,
                token: token,
                references: references,
                maxConcurrent: maxConcurrent,
                calls: calls
            )
            try await client.shutdown()
            return timing
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func loop(
        client: HTTPClient,
        baseURL: URL,
        token: String,
        references: [String],
        maxConcurrent: Int,
        calls: Int
    ) async throws -> Timing {
        let next = CallCounter()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<maxConcurrent {
                group.addTask {
                    while true {
                        let index = next.take()
                        guard index < calls else { return }
                        var request = HTTPClientRequest(
                            url: baseURL.appendingPathComponent(
                                "v1/status/payout/\(references[index % references.count])"
                            ).absoluteString
                        )
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        guard response.status == .ok else {
                            throw CommandFailure("provider ceiling: status call answered \(response.status.code)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return Timing(calls: calls, seconds: (ContinuousClock.now - started).seconds)
    }

    private static func obtainToken(client: HTTPClient, baseURL: URL) async throws -> String {
        var request = HTTPClientRequest(
            url: baseURL.appendingPathComponent("v1/jwt/client/obtain/token").absoluteString
        )
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let credentials = MerchantCredentials.sandboxDefaults
        let body = try JSONSerialization.data(withJSONObject: [
            "client_id": credentials.clientID, "client_secret": credentials.clientSecret.revealed,
        ])
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(30))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok,
            let object = try JSONSerialization.jsonObject(with: Data(answer.readableBytesView)) as? [String: Any],
            let token = object["access_token"] as? String
        else { throw CommandFailure("provider ceiling: the sandbox refused the token call (\(response.status.code))") }
        return token
    }
}

/// Hands out call numbers to the concurrent callers.
private final class CallCounter: Sendable {
    private let next = Atomic<Int>(0)
    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}
