#ifndef BENCH_CEILINGS_H
#define BENCH_CEILINGS_H

#include <stddef.h>

// The bench's ceilings that must not go through our own layers: a plain librdkafka consumer loop.
// Used only by `payout-lab bench`.

typedef struct bench_consume_result {
    long long records;
    /// From the first message to the end of the final commit, as the bench's own passes measure.
    double seconds;
    /// Of `seconds`: inside rd_kafka_consumer_poll with nothing returned yet for the next message.
    double waiting_seconds;
    /// Empty on success.
    char error[512];
} bench_consume_result;

/// Joins a fresh group with the given librdkafka properties (`count` name/value pairs), reads
/// `expected` messages of `topic`, stores the newest offset of each partition every `batch_size`
/// messages (rd_kafka_offsets_store, as the Kafka layer's storeOffsets does) and commits at the
/// end. Gives up after `idle_timeout_ms` without a message. Blocks: call it from a thread of its own.
/// Returns 0, or -1 with `result->error` set.
int bench_librdkafka_consume(const char *const *names, const char *const *values, size_t count,
                             const char *topic, long long expected, int batch_size, int idle_timeout_ms,
                             bench_consume_result *result);

#endif
