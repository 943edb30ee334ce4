internal import Crdkafka

/// The Kafka client library underneath this layer.
public enum KafkaLibrary {
    /// librdkafka's version as the loaded shared library reports it, e.g. "2.0.2".
    public static var version: String { String(cString: rd_kafka_version_str()) }
}

/// The librdkafka this process runs against, read from the shared library at run time (not from
/// the headers it was built with), and the faults of that version the layer works around.
enum LibrdkafkaVersion {
    /// `rd_kafka_version()`: 0xMMmmrrpp (major, minor, revision, pre-release; 0xff for a release).
    static let runtime = Int(rd_kafka_version())

    /// Whether destroying a cooperative-sticky consumer that joined its group but was never
    /// assigned aborts the process: `rd_kafka_sticky_assignor_state_destroy: Assertion
    /// 'assignor_state' failed`. The assignor's state is created by the first SyncGroup answer;
    /// a JoinGroup answer already selects the assignor, so a destroy in between hands NULL to
    /// its destructor. confluentinc/librdkafka#4312, fixed in 2.3.0 (#4381); Debian bookworm
    /// ships 2.0.2. Only cooperative-sticky keeps assignor state; range and roundrobin do not.
    static var destroyAbortsBeforeFirstAssignment: Bool { runtime < 0x0203_0000 }

    /// Whether `strategies` (`partition.assignment.strategy`, comma-separated) selects the
    /// assignor affected by ``destroyAbortsBeforeFirstAssignment``.
    static func selectsCooperativeSticky(_ strategies: String) -> Bool {
        strategies.split(separator: ",").contains {
            $0.filter { !$0.isWhitespace }.lowercased() == "cooperative-sticky"
        }
    }
}
