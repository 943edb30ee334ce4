// librdkafka's mock cluster (rdkafka_mock.h, installed by the same package), for the EmbeddedKafka
// target alone: an explicit submodule, so a module that imports only Crdkafka cannot reach it.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

// The mock's error-and-latency stack is filled through a variadic function, which Swift cannot
// call: this pushes one entry that answers the next `api_key` request on `broker_id` without an
// error, `rtt_ms` late.
static inline rd_kafka_resp_err_t
payout_mock_delay_next_response(rd_kafka_mock_cluster_t *mcluster, int32_t broker_id, int16_t api_key, int rtt_ms) {
    return rd_kafka_mock_broker_push_request_error_rtts(mcluster, broker_id, api_key, 1, RD_KAFKA_RESP_ERR_NO_ERROR, rtt_ms);
}
