'use strict';
// A small Kafka producer on Node's built-in modules only, so that the example runs where no npm
// registry is reachable. It is a teaching aid, not a client: it sends one record at a time over
// PLAINTEXT (no TLS, no SASL), is not idempotent, and does not negotiate versions (ApiVersions).
// In production use a maintained client (KafkaJS, or node-rdkafka / confluent-kafka-javascript on
// librdkafka) with acks=all and the murmur2 partitioner.
//
// What it speaks: Metadata v1 to find the partition's leader, and Produce v3 with one record in a
// v2 RecordBatch (CRC-32C), acks=-1. Apache Kafka 4.x still accepts both versions.

const net = require('node:net');

const API_PRODUCE = 0;
const API_METADATA = 3;

const ERRORS = {
  1: 'OFFSET_OUT_OF_RANGE',
  2: 'CORRUPT_MESSAGE',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  5: 'LEADER_NOT_AVAILABLE',
  6: 'NOT_LEADER_OR_FOLLOWER',
  7: 'REQUEST_TIMED_OUT',
  10: 'MESSAGE_TOO_LARGE',
  19: 'NOT_ENOUGH_REPLICAS',
  20: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  29: 'TOPIC_AUTHORIZATION_FAILED',
  35: 'UNSUPPORTED_VERSION',
  87: 'INVALID_RECORD',
};
// Worth asking again after a metadata refresh.
const RETRIABLE = new Set([3, 5, 6, 7, 19, 20]);

class KafkaProtocolError extends Error {
  constructor(code, where) {
    super(`${where}: Kafka error ${code} (${ERRORS[code] || 'see the Kafka protocol guide'})`);
    this.code = code;
  }
}

// --- Checksums and hashing -----------------------------------------------------------------------

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), as a v2 RecordBatch carries it. */
function crc32c(buffer) {
  let crc = 0xffffffff;
  for (const byte of buffer) crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The Java client's murmur2, which its default partitioner and librdkafka's murmur2 use. */
function murmur2(data) {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ data.length) | 0;
  const whole = data.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  switch (data.length & 3) {
    case 3:
      h ^= data[whole + 2] << 16;
    // falls through
    case 2:
      h ^= data[whole + 1] << 8;
    // falls through
    case 1:
      h ^= data[whole];
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition the Java client (and librdkafka's murmur2_random) picks for a key. */
function partitionForKey(key, partitionCount) {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}

// --- Encoding ------------------------------------------------------------------------------------

function int8(v) { const b = Buffer.alloc(1); b.writeInt8(v); return b; }
function int16(v) { const b = Buffer.alloc(2); b.writeInt16BE(v); return b; }
function int32(v) { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; }
function uint32(v) { const b = Buffer.alloc(4); b.writeUInt32BE(v); return b; }
function int64(v) { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(v)); return b; }
function string(s) {
  if (s === null) return int16(-1);
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([int16(bytes.length), bytes]);
}
function array(items, encode) { return Buffer.concat([int32(items.length), ...items.map(encode)]); }

/** A zigzag varint, as records encode their lengths and deltas. */
function varint(value) {
  let v = BigInt.asUintN(64, (BigInt(value) << 1n) ^ (BigInt(value) >> 63n));
  const bytes = [];
  while (v >= 0x80n) {
    bytes.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}
function varBytes(buffer) {
  return buffer === null ? varint(-1) : Buffer.concat([varint(buffer.length), buffer]);
}

/** One record in a v2 RecordBatch (magic 2), uncompressed, without a producer id. */
function recordBatch({ key, value, headers }, timestamp) {
  const record = Buffer.concat([
    int8(0), // attributes
    varint(0), // timestamp delta
    varint(0), // offset delta
    varBytes(key),
    varBytes(value),
    varint(headers.length),
    ...headers.map((h) => Buffer.concat([varBytes(Buffer.from(h.key, 'utf8')), varBytes(h.value)])),
  ]);
  const records = Buffer.concat([varint(record.length), record]);
  // From attributes to the end: what the CRC covers.
  const checked = Buffer.concat([
    int16(0), // attributes: no compression, create time, not transactional
    int32(0), // last offset delta
    int64(timestamp), // first timestamp
    int64(timestamp), // max timestamp
    int64(-1), // producer id
    int16(-1), // producer epoch
    int32(-1), // base sequence
    int32(1), // record count
    records,
  ]);
  const afterLength = Buffer.concat([
    int32(-1), // partition leader epoch
    int8(2), // magic
    uint32(crc32c(checked)),
    checked,
  ]);
  return Buffer.concat([int64(0), int32(afterLength.length), afterLength]);
}

// --- Decoding ------------------------------------------------------------------------------------

class Reader {
  constructor(buffer) { this.buffer = buffer; this.at = 0; }
  int8() { const v = this.buffer.readInt8(this.at); this.at += 1; return v; }
  int16() { const v = this.buffer.readInt16BE(this.at); this.at += 2; return v; }
  int32() { const v = this.buffer.readInt32BE(this.at); this.at += 4; return v; }
  int64() { const v = this.buffer.readBigInt64BE(this.at); this.at += 8; return v; }
  string() {
    const length = this.int16();
    if (length < 0) return null;
    const s = this.buffer.toString('utf8', this.at, this.at + length);
    this.at += length;
    return s;
  }
  array(read) {
    const count = this.int32();
    const items = [];
    for (let i = 0; i < count; i++) items.push(read(this));
    return items;
  }
}

// --- Connections ---------------------------------------------------------------------------------

/** One TCP connection to one broker; requests are answered in order, matched by correlation id. */
class BrokerConnection {
  constructor(host, port, clientId, timeoutMs) {
    this.clientId = clientId;
    this.timeoutMs = timeoutMs;
    this.correlation = 0;
    this.pending = new Map();
    this.received = Buffer.alloc(0);
    this.socket = net.connect({ host, port });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (error) => this.failAll(error));
    this.socket.on('close', () => this.failAll(new Error(`connection to ${host}:${port} closed`)));
  }

  onData(chunk) {
    this.received = Buffer.concat([this.received, chunk]);
    while (this.received.length >= 4) {
      const size = this.received.readInt32BE(0);
      if (this.received.length < 4 + size) return;
      const frame = this.received.subarray(4, 4 + size);
      this.received = this.received.subarray(4 + size);
      const correlation = frame.readInt32BE(0);
      const waiter = this.pending.get(correlation);
      if (waiter) {
        this.pending.delete(correlation);
        clearTimeout(waiter.timer);
        waiter.resolve(new Reader(frame.subarray(4)));
      }
    }
  }

  failAll(error) {
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.pending.clear();
  }

  async request(apiKey, apiVersion, body) {
    await this.ready;
    const correlation = ++this.correlation;
    const header = Buffer.concat([int16(apiKey), int16(apiVersion), int32(correlation), string(this.clientId)]);
    const message = Buffer.concat([header, body]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlation);
        reject(new Error(`no answer to request ${apiKey} v${apiVersion} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(correlation, { resolve, reject, timer });
      this.socket.write(Buffer.concat([int32(message.length), message]));
    });
  }

  close() { this.socket.destroy(); }
}

function parseBootstrap(bootstrap) {
  return bootstrap.split(',').map((entry) => {
    const at = entry.trim().lastIndexOf(':');
    return { host: entry.trim().slice(0, at), port: Number(entry.trim().slice(at + 1)) };
  });
}

async function metadata(connection, topic) {
  const reader = await connection.request(API_METADATA, 1, array([topic], string));
  const brokers = reader.array((r) => ({ nodeId: r.int32(), host: r.string(), port: r.int32(), rack: r.string() }));
  reader.int32(); // controller id
  const topics = reader.array((r) => ({
    error: r.int16(),
    name: r.string(),
    internal: r.int8(),
    partitions: r.array((p) => {
      const partition = { error: p.int16(), id: p.int32(), leader: p.int32() };
      p.array((q) => q.int32()); // replicas
      p.array((q) => q.int32()); // in-sync replicas
      return partition;
    }),
  }));
  return { brokers, topic: topics.find((t) => t.name === topic) };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends one record and waits for the leader's acknowledgement from all in-sync replicas.
 * `key` and `value` are strings or Buffers; `headers` is [{key, value}]. Resolves to
 * `{ partition, offset }`; rejects with the Kafka error otherwise.
 */
async function produce({ bootstrap, topic, key, value, headers = [], clientId = 'payout-example', timeoutMs = 30000 }) {
  const deadline = Date.now() + timeoutMs;
  const keyBytes = key === null || key === undefined ? null : Buffer.from(key);
  const record = {
    key: keyBytes,
    value: Buffer.from(value),
    headers: headers.map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value) })),
  };
  const connections = new Map();
  const connect = (host, port) => {
    const name = `${host}:${port}`;
    const known = connections.get(name);
    if (known && !known.socket.destroyed) return known;
    const connection = new BrokerConnection(host, port, clientId, timeoutMs);
    connections.set(name, connection);
    return connection;
  };
  try {
    let lastError;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 100 * 2 ** attempt));
      try {
        const seeds = parseBootstrap(bootstrap);
        const seed = seeds[attempt % seeds.length];
        const { brokers, topic: found } = await metadata(connect(seed.host, seed.port), topic);
        if (!found) throw new Error(`the broker did not describe topic ${topic}`);
        if (found.error !== 0) throw new KafkaProtocolError(found.error, `metadata for ${topic}`);
        const count = found.partitions.length;
        // Without a key the record goes to partition 0; a command always has one.
        const partition = keyBytes === null ? 0 : partitionForKey(keyBytes, count);
        const described = found.partitions.find((p) => p.id === partition);
        if (!described || described.error !== 0 || described.leader < 0) {
          throw new KafkaProtocolError(described ? described.error || 5 : 3, `partition ${partition} of ${topic}`);
        }
        const leader = brokers.find((b) => b.nodeId === described.leader);
        const body = Buffer.concat([
          string(null), // transactional id
          int16(-1), // acks: all in-sync replicas
          int32(Math.max(1, deadline - Date.now())), // timeout
          array([topic], (name) =>
            Buffer.concat([
              string(name),
              array([partition], (id) => {
                const batch = recordBatch(record, Date.now());
                return Buffer.concat([int32(id), int32(batch.length), batch]);
              }),
            ]),
          ),
        ]);
        const reader = await connect(leader.host, leader.port).request(API_PRODUCE, 3, body);
        const [answer] = reader.array((r) => ({
          topic: r.string(),
          partitions: r.array((p) => ({ partition: p.int32(), error: p.int16(), offset: p.int64(), logAppendTime: p.int64() })),
        }));
        const result = answer.partitions[0];
        if (result.error !== 0) throw new KafkaProtocolError(result.error, `produce to ${topic}[${partition}]`);
        return { partition: result.partition, offset: Number(result.offset) };
      } catch (error) {
        lastError = error;
        // A retriable Kafka error, or a connection that failed: ask for metadata again. A Produce
        // that timed out may have landed, so a retry can write the record twice; for a payout
        // command that is harmless (the worker answers an identical duplicate with the payout's
        // latest event and never executes it twice).
        if (error instanceof KafkaProtocolError && !RETRIABLE.has(error.code)) throw error;
      }
    }
    throw lastError || new Error(`no acknowledgement within ${timeoutMs} ms`);
  } finally {
    for (const connection of connections.values()) connection.close();
  }
}

module.exports = { produce, partitionForKey, murmur2, crc32c, KafkaProtocolError };
