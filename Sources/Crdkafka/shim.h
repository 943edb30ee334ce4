// The C surface the Kafka target sees: librdkafka itself (Debian's librdkafka-dev 2.0.2).
#include <librdkafka/rdkafka.h>
