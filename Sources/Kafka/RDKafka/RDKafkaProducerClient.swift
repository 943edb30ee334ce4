internal import Crdkafka
import Foundation
import Logging
import Synchronization

/// Owns a producer `rd_kafka_t` and the dedicated thread that serves its delivery reports.
final class RDKafkaProducerClient: Sendable {
    /// Carried through librdkafka as the message opaque; completed exactly once by the delivery
    /// report (or by us, when `produceva` refuses the record).
    private final class DeliveryCallback: Sendable {
        let complete: @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void
        init(_ complete: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void) {
            self.complete = complete
        }
    }

    private let handle: RDKafkaHandle
    private let callbacks: RDKafkaCallbacks
    private let lifetime = HandleLifetime()
    private let closeState = Mutex((requested: false, closed: false, waiters: [CheckedContinuation<Void, Never>]()))
    private let configuration: KafkaProducerConfiguration
    private let logger: Logger

    init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        let conf = try RDKafkaConfig.make(configuration.librdkafkaProperties())
        let callbacks = RDKafkaCallbacks(
            logger: logger,
            onError: { error, isFatal in
                // A fatal error (e.g. the idempotent producer lost its sequence) fails every later
                // send with the same error, so the application sees it where it produces.
                logger.log(level: isFatal ? .error : .warning, "Kafka producer error", metadata: ["error": "\(error)"])
            }
        )
        callbacks.install(on: conf)
        rd_kafka_conf_set_dr_msg_cb(conf) { rk, message, _ in
            guard let message, let opaque = message.pointee._private else { return }
            let callback = Unmanaged<DeliveryCallback>.fromOpaque(opaque).takeRetainedValue()
            let m = message.pointee
            if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
                callback.complete(
                    .success(
                        KafkaDeliveryReport(
                            topicPartition: KafkaTopicPartition(topic: topic, partition: m.partition),
                            offset: m.offset
                        )
                    )
                )
            } else {
                let reason = String(cString: rd_kafka_err2str(m.err))
                callback.complete(
                    .failure(.librdkafka(.init(rawValue: m.err.rawValue), reason: "delivery failed: \(reason)"))
                )
            }
        }
        self.callbacks = callbacks
        handle = try RDKafkaConfig.newHandle(type: RD_KAFKA_PRODUCER, conf: conf)
        let thread = Thread { [self] in self.pollLoop() }
        thread.name = "kafka-producer-poll"
        thread.start()
    }

    /// Hands one record to librdkafka; `completion` runs on the poll thread when it is acknowledged
    /// or finally fails. Returns the synchronous refusal, if any (queue full, unknown topic, closed).
    func produce(
        _ record: KafkaProducerRecord,
        completion: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void
    ) -> KafkaError? {
        let callback = Unmanaged.passRetained(DeliveryCallback(completion))
        let err: rd_kafka_resp_err_t? = lifetime.use { produceva(record, opaque: callback.toOpaque()) }
        guard let err else {
            callback.release()
            return .closed
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            callback.release()
            return .librdkafka(
                .init(rawValue: err.rawValue),
                reason: "produce to \(record.topic): \(String(cString: rd_kafka_err2str(err)))"
            )
        }
        return nil
    }

    private func produceva(_ record: KafkaProducerRecord, opaque: UnsafeMutableRawPointer) -> rd_kafka_resp_err_t {
        // Headers go in as an rd_kafka_headers_t: librdkafka takes ownership on success only.
        var headers: OpaquePointer?
        if !record.headers.isEmpty {
            headers = rd_kafka_headers_new(record.headers.count)
            for header in record.headers {
                if let value = header.value {
                    value.withUnsafeBytes { bytes in
                        _ = rd_kafka_header_add(headers, header.name, -1, bytes.baseAddress, bytes.count)
                    }
                } else {
                    _ = rd_kafka_header_add(headers, header.name, -1, nil, 0)
                }
            }
        }
        let err = record.topic.withCString { topic in
            withOptionalBytes(record.key) { key in
                withOptionalBytes(record.value) { value in
                    var values: [rd_kafka_vu_t] = []
                    values.reserveCapacity(7)
                    var vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_TOPIC
                    vu.u.cstr = topic
                    values.append(vu)
                    if let partition = record.partition {
                        vu = rd_kafka_vu_t()
                        vu.vtype = RD_KAFKA_VTYPE_PARTITION
                        vu.u.i32 = partition
                        values.append(vu)
                    }
                    if let key {
                        vu = rd_kafka_vu_t()
                        vu.vtype = RD_KAFKA_VTYPE_KEY
                        vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                        vu.u.mem.size = key.count
                        values.append(vu)
                    }
                    if let value {
                        vu = rd_kafka_vu_t()
                        vu.vtype = RD_KAFKA_VTYPE_VALUE
                        vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        vu.u.mem.size = value.count
                        values.append(vu)
                    }
                    if let headers {
                        vu = rd_kafka_vu_t()
                        vu.vtype = RD_KAFKA_VTYPE_HEADERS
                        vu.u.headers = headers
                        values.append(vu)
                    }
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    vu.u.i = RD_KAFKA_MSG_F_COPY
                    values.append(vu)
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_OPAQUE
                    vu.u.ptr = opaque
                    values.append(vu)
                    return values.withUnsafeBufferPointer { buffer -> rd_kafka_resp_err_t in
                        guard let error = rd_kafka_produceva(handle.pointer, buffer.baseAddress, buffer.count) else {
                            return RD_KAFKA_RESP_ERR_NO_ERROR
                        }
                        let code = rd_kafka_error_code(error)
                        rd_kafka_error_destroy(error)
                        return code
                    }
                }
            }
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR, let headers { rd_kafka_headers_destroy(headers) }
        return err
    }

    /// Waits until every record handed over so far is acknowledged or failed.
    func flush(timeout: Duration) async throws(KafkaError) {
        let result: rd_kafka_resp_err_t? = await Blocking.run("kafka-flush") { [self] in
            self.lifetime.use { rd_kafka_flush(self.handle.pointer, Int32(timeout.milliseconds)) }
        }
        guard let result else { throw .closed }
        if result == RD_KAFKA_RESP_ERR__TIMED_OUT { throw .timedOut(operation: "flush") }
        if let error = KafkaError.check(result, "flush") { throw error }
    }

    /// Refuses new sends (they fail with ``KafkaError/closed``), flushes (bounded by
    /// `closeTimeout`), fails whatever is still queued, destroys the handle. A ``flush(timeout:)``
    /// running meanwhile is waited for.
    func close() async {
        await withCheckedContinuation { continuation in
            let alreadyClosed = closeState.withLock { state -> Bool in
                state.requested = true
                if state.closed { return true }
                state.waiters.append(continuation)
                return false
            }
            if alreadyClosed { continuation.resume() }
        }
    }

    func requestClose() {
        closeState.withLock { $0.requested = true }
    }

    private func pollLoop() {
        let timeout = Int32(configuration.pollTimeout.milliseconds)
        while !closeState.withLock({ $0.requested }) {
            rd_kafka_poll(handle.pointer, timeout)
        }
        // Stop admitting sends first (waiting out any produceva already running): a record
        // admitted after the flush and purge below would still be queued at rd_kafka_destroy,
        // which serves no delivery report, so its send would never return and its retained
        // DeliveryCallback would leak. From here on `produce` refuses with `.closed`, and every
        // record librdkafka holds is one the flush or the purge completes.
        lifetime.retire()
        let flushResult = rd_kafka_flush(handle.pointer, Int32(configuration.closeTimeout.milliseconds))
        if flushResult != RD_KAFKA_RESP_ERR_NO_ERROR {
            let remaining = rd_kafka_outq_len(handle.pointer)
            logger.warning(
                "producer closed with undelivered records; failing them",
                metadata: ["count": "\(remaining)"]
            )
            // Purged records get a delivery report with _PURGE_QUEUE/_PURGE_INFLIGHT, so every
            // waiting send completes.
            _ = rd_kafka_purge(handle.pointer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
        }
        // Serve the purge's delivery reports: rd_kafka_destroy would drop them. The blocking
        // purge has queued them all by now; should librdkafka still count anything outstanding,
        // give it up to a second more rather than leave a send waiting forever.
        rd_kafka_poll(handle.pointer, 0)
        for _ in 0..<100 where rd_kafka_outq_len(handle.pointer) > 0 {
            rd_kafka_poll(handle.pointer, 10)
        }
        rd_kafka_destroy(handle.pointer)
        let waiters = closeState.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        _ = callbacks  // must outlive rd_kafka_destroy above
        for waiter in waiters { waiter.resume() }
    }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBufferPointer { body($0) }
}
