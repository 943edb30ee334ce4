#!/usr/bin/env python3
"""Publishes one payout command to payouts.commands, keyed by its reference_id, and prints one
JSON line: the reference_id and where the record landed.

    python3 examples/python/publish_payout.py --bootstrap 127.0.0.1:9092 [--topic payouts.commands]
        [--reference-id UUID] [--amount 25.00] [--currency USD] [--traceparent 00-...-01]

Needs confluent-kafka: Debian's python3-confluent-kafka, or `pip install confluent-kafka`.
build_command() and command_record() are the part to copy; main() shows the producer settings.
"""

import argparse
import json
import os
import sys
import uuid
from datetime import datetime, timezone

from confluent_kafka import Producer


def build_command(amount, currency, *, reference_id=None, recipient=None, payout_account_id=None,
                  metadata=None, requested_at=None):
    """A payout command (contracts/payout-command.schema.json).

    reference_id: a version 4 UUID you generate once per payout and store before you publish; it
    is the idempotency key, here and at Dollr. amount: a decimal string in major units ("25.00"),
    never a float. Exactly one of recipient (a Dollr payment account is created for it) and
    payout_account_id (a Dollr payment account that exists already). metadata: your own strings,
    kept with the payout and never sent to Dollr.
    """
    if (recipient is None) == (payout_account_id is None):
        raise ValueError("give exactly one of recipient and payout_account_id")
    command = {
        "reference_id": reference_id or str(uuid.uuid4()),
        "amount": str(amount),
        "currency": currency,
        "requested_at": requested_at
        or datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "metadata": metadata or {},
    }
    if recipient is not None:
        command["recipient"] = recipient
    else:
        command["payout_account_id"] = payout_account_id
    return command


def command_record(command, traceparent=None):
    """The record's key, value and headers. The key is the reference_id (the worker refuses a record
    whose key is another); the value is the command's JSON in UTF-8. A W3C traceparent, if you have
    one, becomes the parent of the payout's trace; the worker reads no other header."""
    headers = [("traceparent", traceparent)] if traceparent else []
    return {
        "key": command["reference_id"].encode("utf-8"),
        "value": json.dumps(command, separators=(",", ":")).encode("utf-8"),
        "headers": headers,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--topic", default="payouts.commands")
    parser.add_argument("--reference-id")
    parser.add_argument("--amount", default="25.00")
    parser.add_argument("--currency", default="USD")
    parser.add_argument("--traceparent")
    options = parser.parse_args()

    command = build_command(
        options.amount,
        options.currency,
        reference_id=options.reference_id,
        recipient={
            "account_name": "Jane Doe",
            "party_id": 42,
            "phone": "231881234567",
            "provider": "MTN_MOMO_LBR",
            "method": "MTN_MOMO_LBR",
            "country_code": "LR",
        },
        metadata={"order_id": "A-1001"},
    )
    producer = Producer({
        "bootstrap.servers": options.bootstrap,
        # Acknowledged by every in-sync replica, never written twice by the producer's own retries.
        "enable.idempotence": True,
        "acks": "all",
        # The Java client's partitioner: one reference_id lands on one partition whichever service
        # or language publishes it. librdkafka's default (consistent_random) hashes differently.
        "partitioner": "murmur2_random",
    })
    delivered = {}

    def on_delivery(error, message):
        delivered["error"] = error
        delivered["message"] = message

    producer.produce(options.topic, on_delivery=on_delivery, **command_record(command, options.traceparent))
    if producer.flush(30) > 0 or "error" not in delivered:
        print("error: the record was not acknowledged within 30 s", file=sys.stderr)
        return 1
    if delivered["error"] is not None:
        print(f"error: {delivered['error']}", file=sys.stderr)
        return 1
    message = delivered["message"]
    print(json.dumps({
        "reference_id": command["reference_id"],
        "topic": message.topic(),
        "partition": message.partition(),
        "offset": message.offset(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
