#include "bench_ceilings.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// The newest offset + 1 per partition since the last store, as the layer's storeOffsets sends it.
static void note_offset(rd_kafka_topic_partition_list_t *pending, const rd_kafka_message_t *message) {
    const char *topic = rd_kafka_topic_name(message->rkt);
    rd_kafka_topic_partition_t *entry = rd_kafka_topic_partition_list_find(pending, topic, message->partition);
    if (!entry) entry = rd_kafka_topic_partition_list_add(pending, topic, message->partition);
    if (message->offset + 1 > entry->offset) entry->offset = message->offset + 1;
}

static int store_pending(rd_kafka_t *rk, rd_kafka_topic_partition_list_t **pending, bench_consume_result *result) {
    if ((*pending)->cnt == 0) return 0;
    rd_kafka_resp_err_t err = rd_kafka_offsets_store(rk, *pending);
    rd_kafka_topic_partition_list_destroy(*pending);
    *pending = rd_kafka_topic_partition_list_new(16);
    if (err) {
        snprintf(result->error, sizeof result->error, "rd_kafka_offsets_store: %s", rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

int bench_librdkafka_consume(const char *const *names, const char *const *values, size_t count,
                             const char *topic, long long expected, int batch_size, int idle_timeout_ms,
                             bench_consume_result *result) {
    memset(result, 0, sizeof *result);
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; i < count; i++) {
        if (rd_kafka_conf_set(conf, names[i], values[i], errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            snprintf(result->error, sizeof result->error, "%s: %s", names[i], errstr);
            rd_kafka_conf_destroy(conf);
            return -1;
        }
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        snprintf(result->error, sizeof result->error, "rd_kafka_new: %s", errstr);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    int status = 0;
    if (err) {
        snprintf(result->error, sizeof result->error, "rd_kafka_subscribe: %s", rd_kafka_err2str(err));
        status = -1;
    }

    rd_kafka_topic_partition_list_t *pending = rd_kafka_topic_partition_list_new(16);
    double started = 0, last_message = now_seconds(), waiting = 0;
    int in_batch = 0;
    while (status == 0 && result->records < expected) {
        double asked = now_seconds();
        rd_kafka_message_t *message = rd_kafka_consumer_poll(rk, 100);
        double answered = now_seconds();
        if (!message) {
            if (in_batch > 0) {
                // Nothing more ready: hand over what was read, as the layer hands over a partial batch.
                status = store_pending(rk, &pending, result);
                in_batch = 0;
            }
            if (started > 0) waiting += answered - asked;
            if ((answered - last_message) * 1000 > idle_timeout_ms) {
                snprintf(result->error, sizeof result->error, "%s: no message for %d ms after %lld of %lld",
                         topic, idle_timeout_ms, result->records, expected);
                status = -1;
            }
            continue;
        }
        if (message->err) {
            rd_kafka_message_destroy(message);
            continue;
        }
        if (started == 0) started = answered;
        else waiting += answered - asked;
        last_message = answered;
        note_offset(pending, message);
        result->records++;
        rd_kafka_message_destroy(message);
        if (++in_batch == batch_size) {
            status = store_pending(rk, &pending, result);
            in_batch = 0;
        }
    }
    if (status == 0) status = store_pending(rk, &pending, result);
    rd_kafka_topic_partition_list_destroy(pending);
    if (status == 0) {
        err = rd_kafka_commit(rk, NULL, 0);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
            snprintf(result->error, sizeof result->error, "rd_kafka_commit: %s", rd_kafka_err2str(err));
            status = -1;
        }
    }
    result->seconds = started > 0 ? now_seconds() - started : 0;
    result->waiting_seconds = waiting;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return status;
}
