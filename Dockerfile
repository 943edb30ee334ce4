# syntax=docker/dockerfile:1
# payout-worker image: the one `payout-worker` executable (run, sandbox, broker, wallets, payouts).
#   docker build -t payout-worker:local .

# Build on Debian 12, whose librdkafka (2.0.2) is the version the Kafka layer is written against.
# Swift 6.2 at least: the minimum versions Package.swift allows of swift-log, swift-metrics,
# hummingbird, async-http-client and others declare swift-tools-version 6.2.
FROM swift:6.2-bookworm AS build
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends librdkafka-dev libsqlite3-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.resolved is not versioned: each dependency resolves to its newest release within the
# `from:` range Package.swift gives it (that minimum or later, same major version).
COPY Package.swift ./
# SwiftPM checks every target's directory when it loads the package, test targets included.
COPY Sources ./Sources
COPY Tests ./Tests
# The static Swift runtime (stdlib, Foundation, Dispatch) makes the binary need only the C libraries
# below at run time. The build cache survives between image builds.
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --product payout-worker --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/payout-worker" /staging/payout-worker

FROM debian:bookworm-slim
# curl serves the compose health checks (/readyz); tzdata and ca-certificates for TLS to Kafka and Dollr.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends librdkafka1 libsqlite3-0 ca-certificates curl tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/payout-worker --create-home payout
COPY --from=build /staging/payout-worker /usr/local/bin/payout-worker
COPY config/payout-worker.example.json /etc/payout-worker/payout-worker.example.json
USER payout
# The admin server (/healthz, /readyz, /metrics) listens on every interface inside the container:
# its loopback is unreachable from outside, so `docker run -p 9090:9090` would reach nothing. The
# binary's own default stays 127.0.0.1.
ENV PAYOUT_ADMIN_HOST=0.0.0.0
# The default SQLite store (sqlite:///var/lib/payout-worker/payouts.db) lives here.
WORKDIR /var/lib/payout-worker
EXPOSE 9090 8080
ENTRYPOINT ["payout-worker"]
CMD ["run"]
