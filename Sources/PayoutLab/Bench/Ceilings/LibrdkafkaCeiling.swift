import CBenchCeilings
import CommandSupport
import Foundation
import Kafka

/// raw's ceiling: librdkafka with nothing of ours above it. A plain C consumer loop
/// (`bench_librdkafka_consume`) gets exactly the properties the Kafka layer would hand librdkafka
/// for the same pass, joins a fresh group on the same topic and stores offsets per batch as a
/// pass does; it is timed the same way (first message to the end of the final commit).
enum LibrdkafkaCeiling {
    static func run(
        environment: BenchEnvironment,
        topic: String,
        group: String,
        expected: Int,
        batchSize: Int = 500
    ) async throws -> TopicPass.Timing {
        let configuration = TopicPass.consumerConfiguration(
            environment: environment,
            topic: topic,
            group: group,
            batchSize: batchSize
        )
        let properties = try configuration.librdkafkaProperties().sorted { $0.key < $1.key }
        let cpuBefore = ProcessUsage.cpuSeconds()
        let outcome = await Blocking.run("bench-rdkafka") { () -> (Int32, bench_consume_result) in
            var result = bench_consume_result()
            let names = properties.map { strdup($0.key)! }
            let values = properties.map { strdup($0.value)! }
            defer { for pointer in names + values { free(pointer) } }
            let status = names.map { UnsafePointer<CChar>?(UnsafePointer($0)) }.withUnsafeBufferPointer {
                namePointers in
                values.map { UnsafePointer<CChar>?(UnsafePointer($0)) }.withUnsafeBufferPointer { valuePointers in
                    bench_librdkafka_consume(
                        namePointers.baseAddress,
                        valuePointers.baseAddress,
                        properties.count,
                        topic,
                        Int64(expected),
                        Int32(batchSize),
                        60_000,
                        &result
                    )
                }
            }
            return (status, result)
        }
        let cpu = ProcessUsage.cpuSeconds() - cpuBefore
        var result = outcome.1
        guard outcome.0 == 0 else {
            let message = withUnsafeBytes(of: &result.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw CommandFailure("librdkafka ceiling: \(message)")
        }
        // The CPU includes the group join and close, which a pass leaves out: an upper bound.
        return TopicPass.Timing(
            records: Int(result.records),
            seconds: result.seconds,
            waitingSeconds: result.waiting_seconds,
            cpuSeconds: cpu
        )
    }
}
