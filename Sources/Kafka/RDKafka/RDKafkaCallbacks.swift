package import Crdkafka
package import Logging
import Synchronization

/// What librdkafka's C callbacks reach through the configuration opaque. One per client handle;
/// it is retained by the Swift client for at least as long as the handle exists.
package final class RDKafkaCallbacks: Sendable {
    let logger: Logger
    let onRebalance:
        (
            @Sendable (RDKafkaHandle, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) ->
                Void
        )?
    let onStatistics: (@Sendable (String) -> Void)?
    let onError: (@Sendable (KafkaError, _ isFatal: Bool) -> Void)?
    /// Set once the owner has closed and left the handle to the process's exit (see
    /// ``RDKafkaConsumerClient``): its threads may still report, but nobody is listening.
    let silenced = Atomic<Bool>(false)

    package init(
        logger: Logger,
        onRebalance: (
            @Sendable (RDKafkaHandle, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) ->
                Void
        )? = nil,
        onStatistics: (@Sendable (String) -> Void)? = nil,
        onError: (@Sendable (KafkaError, _ isFatal: Bool) -> Void)? = nil
    ) {
        self.logger = logger
        self.onRebalance = onRebalance
        self.onStatistics = onStatistics
        self.onError = onError
    }

    /// Installs the C trampolines on `conf` and points its opaque at `self` (unretained: the owner
    /// keeps `self` alive until after `rd_kafka_destroy`).
    package func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            guard let rk, let callbacks = RDKafkaCallbacks.from(rk), !callbacks.silenced.load(ordering: .relaxed) else {
                return
            }
            let text = message.map { String(cString: $0) } ?? ""
            let fac = facility.map { String(cString: $0) } ?? ""
            // A broker failure is logged (facility FAIL) and reported to the error callback with the
            // same text; the error callback's line carries the error code, so this one is dropped.
            if fac == "FAIL", callbacks.onError != nil { return }
            callbacks.logger.log(
                level: Logger.Level(syslogLevel: level),
                "\(text)",
                metadata: ["rdkafka.facility": "\(fac)"]
            )
        }
        rd_kafka_conf_set_error_cb(conf) { rk, rawCode, reason, _ in
            guard let rk, let callbacks = RDKafkaCallbacks.from(rk), !callbacks.silenced.load(ordering: .relaxed) else {
                return
            }
            let code = rd_kafka_resp_err_t(rawValue: rawCode)
            let isFatal = code == RD_KAFKA_RESP_ERR__FATAL
            let text = reason.map { String(cString: $0) } ?? ""
            let error = KafkaError.librdkafka(.init(rawValue: code.rawValue), reason: text)
            if let onError = callbacks.onError {
                onError(error, isFatal)
            } else {
                callbacks.logger.warning("librdkafka error", metadata: ["error": "\(error)"])
            }
        }
        if onStatistics != nil {
            rd_kafka_conf_set_stats_cb(conf) { rk, json, length, _ in
                guard let rk, let json, let callbacks = RDKafkaCallbacks.from(rk) else { return 0 }
                let text = String(decoding: UnsafeRawBufferPointer(start: json, count: length), as: UTF8.self)
                callbacks.onStatistics?(text)
                return 0  // librdkafka frees the JSON
            }
        }
        if onRebalance != nil {
            rd_kafka_conf_set_rebalance_cb(conf) { rk, code, partitions, opaque in
                guard let rk, let opaque else { return }
                let callbacks = Unmanaged<RDKafkaCallbacks>.fromOpaque(opaque).takeUnretainedValue()
                callbacks.onRebalance?(RDKafkaHandle(pointer: rk), code, partitions)
            }
        }
    }

    static func from(_ rk: OpaquePointer) -> RDKafkaCallbacks? {
        guard let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<RDKafkaCallbacks>.fromOpaque(opaque).takeUnretainedValue()
    }
}

extension Logger.Level {
    /// librdkafka logs with syslog severities (0 emergency ... 7 debug).
    init(syslogLevel: Int32) {
        switch syslogLevel {
        case ...2: self = .critical
        case 3: self = .error
        case 4: self = .warning
        case 5: self = .notice
        case 6: self = .info
        default: self = .debug
        }
    }
}
