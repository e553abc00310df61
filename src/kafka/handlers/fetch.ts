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
import { LOG_OVERHEAD } from '../../log/record-batch.js';
import { defineApi, type KafkaServices, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { type FetchRequest, readFetchRequest } from '../messages/fetch-request.js';
import { type FetchResponsePartitionData, fetchResponseSpec, writeFetchResponse } from '../messages/fetch-response.js';
import type { Fields } from '../protocol/fields.js';

const EMPTY = Buffer.alloc(0);

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

/** Reads every partition at once, without waiting; returns the bytes found. */
async function readAll(reads: PartitionRead[], log: KafkaServices['log']): Promise<number> {
  await Promise.all(
    reads.map(async (read) => {
      try {
        const result = await log.fetchBatches({ topic: read.name, partition: read.partition, offset: read.offset, maxBytes: read.maxBytes });
        // A second read (after a long poll) replaces the first one's bytes.
        if (read.result) log.recycleBatches(read.result.batches);
        read.result = result;
        read.error = undefined;
      } catch (err) {
        read.error = err;
      }
    }),
  );
  return reads.reduce((sum, r) => sum + (r.result?.batches.length ?? 0), 0);
}

/** Resolves when one of the partitions gets data (the log's long poll) or after `waitMs`. */
function waitForData(reads: PartitionRead[], log: KafkaServices['log'], waitMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    for (const r of reads) {
      if (r.error !== undefined) continue;
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
    const next = end + LOG_OVERHEAD + batches.readInt32BE(end + 8);
    if (next > batches.length || (next > budget && !(first && end === 0))) break;
    end = next;
  }
  return batches.subarray(0, end);
}

export const fetch = defineApi({
  ...specOf(fetchResponseSpec, { min: 4, max: 12 }),
  name: 'Fetch',
  readRequest: readFetchRequest,
  writeResponse: writeFetchResponse,
  async handle(request, ctx, services) {
    const { log, maxFetchWaitMs, logger } = services;
    const reads = await partitionsOf(request, services);
    const waitMs = Math.min(Math.max(0, request.maxWaitMs), maxFetchWaitMs);
    const minBytes = Math.max(1, request.minBytes);
    // Partitions that failed (an unknown topic, an offset out of range) are answered at once.
    if ((await readAll(reads, log)) < minBytes && waitMs > 0 && reads.some((r) => r.error === undefined)) {
      await waitForData(reads, log, waitMs);
      await readAll(reads, log);
    }
    const limit = request.maxBytes > 0 ? request.maxBytes : Number.MAX_SAFE_INTEGER;
    let used = 0;
    const byTopic = new Map<string, Fields<FetchResponsePartitionData>[]>();
    for (const read of reads) {
      const partitions = byTopic.get(read.topic) ?? [];
      byTopic.set(read.topic, partitions);
      if (!read.result) {
        logger.debug('fetch failed', { topic: read.topic, partition: read.partition, offset: read.offset, client: ctx.clientId, error: String(read.error) });
        // Empty records, not null ones, as Kafka answers: librdkafka cannot parse a null record
        // set, never sees the error (an offset out of range is then never reset) and fetches again at once.
        partitions.push({ partitionIndex: read.partition, errorCode: kafkaErrorCode(read.error), highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY });
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
    return { errorCode: KafkaError.NONE, sessionId: 0, responses: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) };
  },
  // The record batches were written to the socket as they are: their memory goes back to the log.
  sent(response, { log }) {
    for (const topic of response.responses ?? []) for (const p of topic.partitions ?? []) if (p.records) log.recycleBatches(p.records);
  },
});
