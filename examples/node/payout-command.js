'use strict';
// The part to copy: a payout command, its record key and its headers, as payout-worker reads them
// (contracts/payout-command.schema.json). Nothing here talks to Kafka; give the record to your
// Kafka client, configured with the Java client's partitioner (murmur2), which KafkaJS and the
// Java client use by default.

const crypto = require('node:crypto');

/**
 * A payout command.
 *
 * - `referenceId`: a version 4 UUID you generate once per payout and store before you publish;
 *   it is the idempotency key, here and at Dollr.
 * - `amount`: a decimal string in major units ("25.00"); never a float.
 * - `currency`: one the workers allow (USD and LRD by default).
 * - exactly one of `recipient` (a new Dollr payment account is created for it) and
 *   `payoutAccountId` (a Dollr payment account that exists already).
 * - `metadata`: your own strings, kept with the payout and never sent to Dollr.
 */
function buildCommand({
  referenceId = crypto.randomUUID(),
  amount,
  currency,
  recipient,
  payoutAccountId,
  metadata = {},
  requestedAt = new Date().toISOString(),
}) {
  if ((recipient === undefined) === (payoutAccountId === undefined)) {
    throw new Error('give exactly one of recipient and payoutAccountId');
  }
  const command = {
    reference_id: referenceId,
    amount: String(amount),
    currency,
    requested_at: requestedAt,
    metadata,
  };
  if (recipient !== undefined) {
    command.recipient = {
      account_name: recipient.accountName,
      party_id: recipient.partyId,
      phone: recipient.phone,
      provider: recipient.provider,
      method: recipient.method,
      country_code: recipient.countryCode,
    };
  } else {
    command.payout_account_id = payoutAccountId;
  }
  return command;
}

/**
 * The Kafka record for a command: the key is the reference_id (the worker refuses a record whose
 * key is another), the value the command's JSON in UTF-8. `traceparent`, if you have one (W3C
 * Trace Context), becomes the parent of the payout's trace; the worker reads no other header.
 */
function commandRecord(command, { traceparent } = {}) {
  const headers = [];
  if (traceparent) headers.push({ key: 'traceparent', value: traceparent });
  return {
    key: command.reference_id,
    value: JSON.stringify(command),
    headers,
  };
}

module.exports = { buildCommand, commandRecord };
