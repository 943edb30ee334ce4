import Prometheus
import Synchronization

/// The gauges of one labelled metric whose label sets come and go with what the caller reports: partitions assigned to
/// this process, wallets, payout statuses.
///
/// Each report replaces the previous one. A label set that is no longer reported is unregistered, so a partition that
/// was revoked does not keep showing its last lag forever (a stale series is worse than a missing one: it looks
/// healthy). Pinned label sets (a fixed vocabulary such as the payout statuses) are set to 0 instead, so dashboards
/// always see them.
final class ReportedGauges: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let name: String
    private let unit: String
    private let help: String
    private let labelNames: [String]
    private let pinned: Set<[String]>
    /// Label values (in `labelNames` order) to the registered gauge.
    private let gauges = Mutex<[[String]: Gauge]>([:])

    init(
        registry: PrometheusCollectorRegistry,
        name: String,
        unit: String = "",
        help: String,
        labelNames: [String],
        pinned: Set<[String]> = []
    ) {
        self.registry = registry
        self.name = name
        self.unit = unit
        self.help = help
        self.labelNames = labelNames
        self.pinned = pinned
        self.report([:])
    }

    /// Replaces every value: label sets missing from `values` are removed, or zeroed when pinned.
    func report(_ values: [[String]: Double]) {
        // Registration and removal happen under our lock so that two concurrent reports cannot leave a series that
        // neither of them contains.
        self.gauges.withLock { gauges in
            for (labels, gauge) in gauges where values[labels] == nil {
                if self.pinned.contains(labels) {
                    gauge.set(0.0)
                } else {
                    self.registry.unregisterGauge(gauge)
                    gauges[labels] = nil
                }
            }
            for labels in self.pinned where gauges[labels] == nil {
                let gauge = self.makeGauge(labels)
                gauge.set(0.0)
                gauges[labels] = gauge
            }
            for (labels, value) in values {
                let gauge = gauges[labels] ?? self.makeGauge(labels)
                gauges[labels] = gauge
                gauge.set(value)
            }
        }
    }

    private func makeGauge(_ values: [String]) -> Gauge {
        precondition(values.count == self.labelNames.count, "\(self.name): label values do not match label names")
        return self.registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: self.name, unitName: self.unit, helpText: self.help),
            labels: Array(zip(self.labelNames, values))
        )
    }
}
