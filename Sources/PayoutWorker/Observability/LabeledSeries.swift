import Synchronization

/// The series of one labelled counter or histogram, created on first use and then reused.
///
/// The registry would hand back the same series for the same labels, but only after validating names and taking its
/// own lock; the engine reports inline on its hot path, so a lookup here is one dictionary access.
final class LabeledSeries<Metric: AnyObject & Sendable>: Sendable {
    private let series = Mutex<[[String]: Metric]>([:])
    private let make: @Sendable (_ labelValues: [String]) -> Metric

    init(make: @escaping @Sendable (_ labelValues: [String]) -> Metric) {
        self.make = make
    }

    /// The series for these label values (in the metric's label order).
    subscript(_ labelValues: String...) -> Metric {
        self.series.withLock { series in
            if let existing = series[labelValues] { return existing }
            let created = self.make(labelValues)
            series[labelValues] = created
            return created
        }
    }
}
