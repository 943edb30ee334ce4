# syntax=docker/dockerfile:1
# payout-worker image: the product alone, `payout-worker` (run, console and the operator's commands).
#   docker build -t payout-worker:local .
# The lab image, target `lab`: `payout-lab` (sandbox, broker, demo, bench, chaos), with
# `payout-worker` beside it for the worker processes bench and chaos start. docker-compose.yml's
# sandbox service runs it.
#   docker build --target lab -t payout-lab:local .

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

# Only the lab target needs this stage, so building the default image never builds the lab.
FROM build AS build-lab
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --product payout-lab --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/payout-lab" /staging/payout-lab

# What both images run on. curl serves the compose health checks (/readyz, the sandbox's ledger);
# tzdata and ca-certificates for TLS to Kafka and Dollr.
FROM debian:bookworm-slim AS runtime
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends librdkafka1 libsqlite3-0 ca-certificates curl tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/payout-worker --create-home payout

# The lab. chaos needs --store here: the image has no PostgreSQL server for it to start.
FROM runtime AS lab
COPY --from=build-lab /staging/payout-worker /staging/payout-lab /usr/local/bin/
USER payout
WORKDIR /var/lib/payout-worker
EXPOSE 8080
ENTRYPOINT ["payout-lab"]
CMD ["sandbox", "--host", "0.0.0.0", "--port", "8080"]

# The product, the default target.
FROM runtime
COPY --from=build /staging/payout-worker /usr/local/bin/payout-worker
COPY config/payout-worker.example.json /etc/payout-worker/payout-worker.example.json
USER payout
# The admin server (/healthz, /readyz, /metrics) listens on every interface inside the container:
# its loopback is unreachable from outside, so `docker run -p 9090:9090` would reach nothing. The
# binary's own default stays 127.0.0.1.
ENV PAYOUT_ADMIN_HOST=0.0.0.0
# The default SQLite store (sqlite:///var/lib/payout-worker/payouts.db) lives here.
WORKDIR /var/lib/payout-worker
EXPOSE 9090
ENTRYPOINT ["payout-worker"]
CMD ["run"]
