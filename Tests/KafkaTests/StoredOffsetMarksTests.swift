import Testing

@testable import Kafka

@Suite("Stored offset marks")
struct StoredOffsetMarksTests {
    let p0 = KafkaTopicPartition(topic: "t", partition: 0), p1 = KafkaTopicPartition(topic: "t", partition: 1)

    @Test("only offsets above a partition's mark go through")
    func onlyAdvancingOffsets() {
        var marks = StoredOffsetMarks()
        marks.record(p0, 10)
        #expect(marks.advancing([p0: 4, p1: 4]) == [p1: 4])
        #expect(marks.advancing([p0: 10]) == [:])
        #expect(marks.advancing([p0: 11]) == [p0: 11])
        marks.record(p0, 4)  // recording never lowers a mark
        #expect(marks.advancing([p0: 10]) == [:])
    }

    @Test("a new ownership starts without a mark, so re-read messages can be stored again")
    func forgottenOnOwnershipChange() {
        var marks = StoredOffsetMarks()
        marks.record(p0, 10)
        marks.record(p1, 10)
        marks.forget([p0])
        #expect(marks.advancing([p0: 4, p1: 4]) == [p0: 4])
        marks.forgetAll()
        #expect(marks.advancing([p1: 4]) == [p1: 4])
    }
}
