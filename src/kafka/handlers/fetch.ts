/**
 * Runs on: main thread.
 *
 * Fetch (key 1): whole record batches as the log stores them, from the batch that holds the
 * fetch offset on (a client skips the records before its offset). Each partition gets up to its
 * PartitionMaxBytes and the response up to MaxBytes, but the first batch of the response is
 * always whole, whatever its size (KIP-74), or a client would never get past it. With fewer than
 * MinBytes ready, the request waits on the log's long poll until data arrives or MaxWaitMs ends.
 * Fetch sessions are not kept: SessionId 0 tells the client to send full requests.
 */
import type { FetchedBatches } from '../../log/embedded/read-ahead.js';
import { batchEnd, LOG_OVERHEAD } from '../../log/record-batch.js';
import { defineApi, type KafkaServices, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { type FetchRequest, readFetchRequest } from '../messages/fetch-request.js';
import { type FetchResponsePartitionData, fetchResponseSpec, writeFetchResponse } from '../messages/fetch-response.js';
import { partitionOffsets } from '../partition-ends.js';
import type { Fields } from '../protocol/fields.js';

const NO_RECORDS = Buffer.alloc(0);
/** Kafka's fetch.max.bytes (a broker's default): the most one response holds, whatever MaxBytes asks. */
const MAX_RESPONSE_BYTES = 55 * 1024 * 1024;

interface PartitionRead {
  /** The topic as the request names it (answered so), and the log's name for it. */
  topic: string;
  name: string;
  partition: number;
  offset: number;
  maxBytes: number;
  result?: FetchedBatches;
  error?: unknown;
}

async function partitionsOf(request: FetchRequest, services: KafkaServices): Promise<PartitionRead[]> {
  const names = await Promise.all(request.topics.map((t) => services.resolveTopic(t.topic)));
  return request.topics.flatMap((t, i) =>
    t.partitions.map((p) => ({ topic: t.topic, name: names[i], partition: p.partition, offset: p.fetchOffset, maxBytes: Math.max(1, p.partitionMaxBytes) })),
  );
}

/**
 * Reads the partitions without waiting, in the request's order, within `budget` bytes; returns
 * the bytes found. As Kafka reads partitions in turn until the response is full, the log is read
 * for no more than the response may hold (a partition named 100 times is not read 100 times
 * over): the reads run in waves, all of a wave at once, each allowed what the response has room
 * for after the reads before it. A batch is read whole, so a read may pass its allowance by a
 * batch, which ends the waves. The partitions left have no records this time, at their ends.
 */
async function readAll(reads: PartitionRead[], log: KafkaServices['log'], budget: number): Promise<number> {
  for (const read of reads) read.error = undefined;
  let used = 0;
  let next = 0;
  while (next < reads.length && used < budget) {
    const wave: Promise<void>[] = [];
    for (let allotted = used; next < reads.length && allotted < budget; next++) {
      const read = reads[next];
      const allowance = Math.min(read.maxBytes, budget - allotted);
      allotted += allowance;
      wave.push(settle(read, () => log.fetchBatches({ topic: read.name, partition: read.partition, offset: read.offset, maxBytes: allowance })));
    }
    await Promise.all(wave);
    used = reads.reduce((sum, r) => sum + (r.result?.batches.length ?? 0), 0);
  }
  await Promise.all(reads.slice(next).map((read) => settle(read, async () => ({ batches: NO_RECORDS, ...(await partitionOffsets(log, read.name, read.partition)) }))));
  return used;
}

/** Gives the reads' bytes back to the log: a long poll holds none, and a second read replaces them. */
function recycle(reads: PartitionRead[], log: KafkaServices['log']): void {
  for (const read of reads) {
    if (read.result) log.recycleBatches(read.result.batches);
    read.result = undefined;
  }
}

/**
 * readAll within what the listener's Fetch memory grants now (fetch-memory.ts): the whole
 * `limit` while the budget has room, less when other responses hold it.
 */
async function readGranted(reads: PartitionRead[], services: KafkaServices, limit: number): Promise<number> {
  const granted = services.fetchMemory.reserve(limit);
  try {
    return await readAll(reads, services.log, granted);
  } finally {
    services.fetchMemory.release(granted);
  }
}

/** Sets a read's result, or its error. */
async function settle(read: PartitionRead, fetch: () => Promise<FetchedBatches>): Promise<void> {
  try {
    read.result = await fetch();
  } catch (err) {
    read.error = err;
  }
}

/** Resolves when one of the partitions gets data (the log's long poll, once per partition and offset) or after `waitMs`. */
function waitForData(reads: PartitionRead[], log: KafkaServices['log'], waitMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const waiting = new Set<string>();
    for (const r of reads) {
      const key = `${r.name}\0${r.partition}\0${r.offset}`;
      if (r.error !== undefined || waiting.has(key)) continue;
      waiting.add(key);
      log
        .fetchBatches({ topic: r.name, partition: r.partition, offset: r.offset, maxBytes: 1, maxWaitMs: waitMs })
        .then((f) => {
          log.recycleBatches(f.batches);
          if (f.batches.length > 0) done();
        })
        .catch(done);
    }
  });
}

/** The whole batches of `batches` that fit in `budget` bytes; the first one always, when `first`. */
function cut(batches: Buffer, budget: number, first: boolean): Buffer {
  let end = 0;
  while (end + LOG_OVERHEAD <= batches.length) {
    const next = batchEnd(batches, end);
    if (next > batches.length || (next > budget && !(first && end === 0))) break;
    end = next;
  }
  return batches.subarray(0, end);
}

export const fetch = defineApi({
  ...specOf(fetchResponseSpec, { min: 4, max: 12 }),
  name: 'Fetch',
  boundsItsAnswer: true,
  readRequest: readFetchRequest,
  writeResponse: writeFetchResponse,
  async handle(request, ctx, services) {
    const { log, maxFetchWaitMs, logger } = services;
    const reads = await partitionsOf(request, services);
    const waitMs = Math.min(Math.max(0, request.maxWaitMs), maxFetchWaitMs);
    const minBytes = Math.max(1, request.minBytes);
    const limit = request.maxBytes > 0 ? Math.min(request.maxBytes, MAX_RESPONSE_BYTES) : MAX_RESPONSE_BYTES;
    // Partitions that failed (an unknown topic, an offset out of range) are answered at once.
    if ((await readGranted(reads, services, limit)) < minBytes && waitMs > 0 && reads.some((r) => r.error === undefined)) {
      recycle(reads, log);
      await waitForData(reads, log, waitMs);
      await readGranted(reads, services, limit);
    }
    let used = 0;
    const byTopic = new Map<string, Fields<FetchResponsePartitionData>[]>();
    for (const read of reads) {
      const partitions = byTopic.get(read.topic) ?? [];
      byTopic.set(read.topic, partitions);
      if (!read.result) {
        logger.debug('fetch failed', { topic: read.topic, partition: read.partition, offset: read.offset, client: ctx.clientId, error: String(read.error) });
        // Empty records, not null ones, as Kafka answers: librdkafka cannot parse a null record
        // set, never sees the error (an offset out of range is then never reset) and fetches again at once.
        partitions.push({ partitionIndex: read.partition, errorCode: kafkaErrorCode(read.error), highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: NO_RECORDS });
        continue;
      }
      const { batches, highWatermark, logStartOffset } = read.result;
      const records = cut(batches, Math.min(read.maxBytes, limit - used), used === 0);
      used += records.length;
      partitions.push({
        partitionIndex: read.partition,
        errorCode: KafkaError.NONE,
        highWatermark,
        lastStableOffset: highWatermark,
        logStartOffset,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records,
      });
    }
    const response = { errorCode: KafkaError.NONE, sessionId: 0, responses: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) };
    services.fetchMemory.hold(response, reads.reduce((sum, r) => sum + (r.result?.batches.length ?? 0), 0));
    return response;
  },
  // The record batches were written to the socket as they are: their memory goes back to the log.
  sent(response, { log, fetchMemory }) {
    for (const topic of response.responses ?? []) for (const p of topic.partitions ?? []) if (p.records) log.recycleBatches(p.records);
    fetchMemory.sent(response);
  },
});
