/// Accepted executions ordered by when they settle (then by acceptance order), as a binary min-heap: settlement
/// needs no timers and debits happen in a deterministic order.
struct SettlementQueue {
    struct Entry {
        var due: ContinuousClock.Instant
        var sequence: Int
        var referenceID: String

        func precedes(_ other: Entry) -> Bool {
            (self.due, self.sequence) < (other.due, other.sequence)
        }
    }

    private var heap: [Entry] = []

    var isEmpty: Bool { self.heap.isEmpty }

    mutating func insert(_ entry: Entry) {
        self.heap.append(entry)
        var child = self.heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard self.heap[child].precedes(self.heap[parent]) else { break }
            self.heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(at now: ContinuousClock.Instant) -> Entry? {
        guard let first = self.heap.first, first.due <= now else { return nil }
        let last = self.heap.removeLast()
        if !self.heap.isEmpty {
            self.heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < self.heap.count, self.heap[left].precedes(self.heap[smallest]) { smallest = left }
                if right < self.heap.count, self.heap[right].precedes(self.heap[smallest]) { smallest = right }
                guard smallest != parent else { break }
                self.heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
