// The C surface the Kafka target sees: librdkafka itself and its mock cluster
// (Debian's librdkafka-dev 2.0.2 installs both headers).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
