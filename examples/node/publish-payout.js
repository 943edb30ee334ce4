#!/usr/bin/env node
'use strict';
// Publishes one payout command to payouts.commands, keyed by its reference_id, and prints one JSON
// line: the reference_id and where the record landed.
//
//   node examples/node/publish-payout.js --bootstrap 127.0.0.1:9092 [--topic payouts.commands]
//        [--reference-id UUID] [--amount 25.00] [--currency USD] [--traceparent 00-...-01]
//
// Node 18 or newer, built-in modules only. kafka-produce.js is a minimal client for this example;
// in production give commandRecord()'s key, value and headers to a maintained Kafka client.

const { parseArgs } = require('node:util');
const { buildCommand, commandRecord } = require('./payout-command');
const { produce } = require('./kafka-produce');

async function main() {
  const { values: options } = parseArgs({
    options: {
      bootstrap: { type: 'string', default: process.env.KAFKA_BOOTSTRAP_SERVERS || '127.0.0.1:9092' },
      topic: { type: 'string', default: 'payouts.commands' },
      'reference-id': { type: 'string' },
      amount: { type: 'string', default: '25.00' },
      currency: { type: 'string', default: 'USD' },
      traceparent: { type: 'string' },
    },
  });

  const command = buildCommand({
    referenceId: options['reference-id'],
    amount: options.amount,
    currency: options.currency,
    recipient: {
      accountName: 'Jane Doe',
      partyId: 42,
      phone: '231881234567',
      provider: 'MTN_MOMO_LBR',
      method: 'MTN_MOMO_LBR',
      countryCode: 'LR',
    },
    metadata: { order_id: 'A-1001' },
  });
  const record = commandRecord(command, { traceparent: options.traceparent });
  const { partition, offset } = await produce({ bootstrap: options.bootstrap, topic: options.topic, ...record });
  console.log(JSON.stringify({ reference_id: command.reference_id, topic: options.topic, partition, offset }));
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
