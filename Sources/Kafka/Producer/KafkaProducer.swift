public import Logging
import Synchronization

/// Writes records to Kafka; idempotent with `acks=all` by default (see ``KafkaProducerConfiguration``).
///
/// ``send(_:)`` completes when the broker has acknowledged the record (or librdkafka has given up
/// on it), so "sent" means durable. Delivery reports are served by a dedicated thread.
public final class KafkaProducer: Sendable {
    private let client: RDKafkaProducerClient

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        client = try RDKafkaProducerClient(configuration: configuration, logger: logger)
    }

    deinit {
        client.requestClose()
    }

    /// Writes one record and waits for its delivery report.
    @discardableResult
    public func send(_ record: KafkaProducerRecord) async throws(KafkaError) -> KafkaDeliveryReport {
        let results = await sendAll([record])
        return try results[0].get()
    }

    /// Writes records in order and waits for all their delivery reports; one result per record,
    /// in the same order. Records with the same key keep their order (the idempotent producer
    /// does not reorder on retry). When librdkafka's local queue is full, a record waits for room.
    ///
    /// Cancelling the calling task stops the wait: a record still waiting for room fails at once
    /// (nothing was sent), and records whose report has not arrived yet fail
    /// with ``KafkaError/cancelled(operation:)``, though librdkafka may still deliver them. A
    /// report can take up to `message.timeout.ms` while the broker is unreachable, and a service
    /// draining at shutdown must not wait that long past its deadline.
    public func sendAll(_ records: [KafkaProducerRecord]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        guard !records.isEmpty else { return [] }
        let collector = DeliveryCollector(count: records.count)
        await enqueue(records, into: collector)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { collector.wait(with: $0) }
        } onCancel: {
            collector.abandon()
        }
    }

    private func enqueue(_ records: [KafkaProducerRecord], into collector: DeliveryCollector) async {
        for (index, record) in records.enumerated() {
            var backoff: Duration = .microseconds(200)
            while true {
                let refusal = client.produce(record) { collector.complete(index, with: $0) }
                guard let refusal else { break }
                // A full local queue drains as reports arrive: wait rather than fail (unless the
                // caller is cancelled: its sleep would no longer wait, and this would spin).
                if case .librdkafka(let code, _) = refusal, code == .queueFull, !Task.isCancelled {
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .milliseconds(50))
                    continue
                }
                collector.complete(
                    index,
                    with: .failure(Task.isCancelled ? .cancelled(operation: "send to \(record.topic)") : refusal)
                )
                break
            }
        }
    }

    /// Waits until everything sent so far is acknowledged or failed.
    public func flush(timeout: Duration = .seconds(10)) async throws(KafkaError) {
        try await client.flush(timeout: timeout)
    }

    /// Flushes within the configured close timeout, fails what is left, and releases the client.
    public func close() async {
        await client.close()
    }
}

/// Gathers the delivery reports of one ``KafkaProducer/sendAll(_:)`` call and resumes its caller
/// once the last one arrives, or at once when the caller is cancelled.
private final class DeliveryCollector: Sendable {
    private struct State {
        var results: [Result<KafkaDeliveryReport, KafkaError>?]
        var remaining: Int
        var continuation: CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>?
        /// Set when the caller stopped waiting: it gets (or has got) the results as they stood.
        var abandoned = false

        /// The results so far; a record without its report counts as cancelled.
        var snapshot: [Result<KafkaDeliveryReport, KafkaError>] {
            results.map { $0 ?? .failure(.cancelled(operation: "waiting for the delivery report")) }
        }
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count, continuation: nil))
    }

    /// Resumes `continuation` once every report is in (at once, if they already are).
    func wait(with continuation: CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>) {
        let results = state.withLock { state -> [Result<KafkaDeliveryReport, KafkaError>]? in
            guard state.remaining == 0 || state.abandoned else {
                state.continuation = continuation
                return nil
            }
            return state.snapshot
        }
        if let results { continuation.resume(returning: results) }
    }

    func complete(_ index: Int, with result: Result<KafkaDeliveryReport, KafkaError>) {
        let finished = state.withLock {
            state -> (
                CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>,
                [Result<KafkaDeliveryReport, KafkaError>]
            )? in
            state.results[index] = result
            state.remaining -= 1
            guard state.remaining == 0, let continuation = state.continuation else { return nil }
            state.continuation = nil
            return (continuation, state.snapshot)
        }
        if let (continuation, results) = finished { continuation.resume(returning: results) }
    }

    /// Stops waiting (the caller was cancelled): resumes it now with the results so far. Reports
    /// that arrive later are recorded and go nowhere.
    func abandon() {
        let resumed = state.withLock {
            state -> (
                CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>,
                [Result<KafkaDeliveryReport, KafkaError>]
            )? in
            state.abandoned = true
            guard let continuation = state.continuation else { return nil }
            state.continuation = nil
            return (continuation, state.snapshot)
        }
        if let (continuation, results) = resumed { continuation.resume(returning: results) }
    }
}
