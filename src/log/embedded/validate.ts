// Runs on: main thread; sink workers check their fetches with it too.
import type { TopicConfig } from '../../config/schema.js';
import { ConfigError, TributaryError } from '../../errors.js';
import { checkBatch, readBatchHeader } from '../record-batch.js';
import type { FetchRequest, ProducerRecord, TopicSpec } from '../types.js';

/** Checks what the batch encoder would otherwise turn into garbage or a TypeError. */
export function checkProducerRecords(records: readonly ProducerRecord[]): void {
  if (!Array.isArray(records) || records.length === 0) {
    throw new TributaryError('INVALID_RECORD', 'produce needs a non-empty array of records');
  }
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (
      typeof r !== 'object' ||
      r === null ||
      !(r.value === null || r.value instanceof Uint8Array) ||
      !(r.key === undefined || r.key === null || r.key instanceof Uint8Array) ||
      !(r.timestamp === undefined || Number.isSafeInteger(r.timestamp)) ||
      !(r.headers === undefined || Array.isArray(r.headers))
    ) {
      throw new TributaryError(
        'INVALID_RECORD',
        `record ${i}: expected { value: Uint8Array | null, key?: Uint8Array | null, headers?: [], timestamp?: integer ms }`,
      );
    }
  }
}

/** A fetch's offset, budget and waits, before any broker sees them. */
export function checkFetchRequest(request: FetchRequest): void {
  const { topic, partition, offset, maxBytes = 1, maxWaitMs = 0, lingerMs = 0 } = request;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new TributaryError('OFFSET_OUT_OF_RANGE', `offset must be a non-negative integer, got ${offset}`, {
      details: { topic, partition, offset },
    });
  }
  if (!(maxBytes > 0) || !(maxWaitMs >= 0) || !(lingerMs >= 0)) {
    throw new TributaryError('INVALID_REQUEST', `maxBytes must be positive, maxWaitMs and lingerMs non-negative (got ${maxBytes}, ${maxWaitMs}, ${lingerMs})`);
  }
}

/** A topic from the config file (snake_case) as a TopicSpec. */
export function topicSpecFromConfig(name: string, config: TopicConfig): TopicSpec {
  return {
    name,
    partitions: config.partitions,
    replicationFactor: config.replication_factor,
    retentionBytes: config.retention_bytes,
    retentionMs: config.retention_ms,
    segmentBytes: config.segment_bytes,
    segmentMs: config.segment_ms,
  };
}

/** A configured topic the engine refused, as a config error naming its key (anything else as it is). */
export function configTopicError(name: string, err: unknown): unknown {
  if (!(err instanceof TributaryError) || err.code !== 'INVALID_TOPIC') return err;
  return new ConfigError(`topics.${name}: ${err.message}`, { cause: err, details: err.details });
}

export function batchTooLarge(bytes: number, max: number): TributaryError {
  return new TributaryError('RECORD_TOO_LARGE', `a batch of ${bytes} bytes is over log.max_record_bytes (${max} bytes)`, { details: { bytes, max } });
}

/** The record count of an encoded batch v2, after checking its size and layout (and its CRC-32C when asked). */
export function checkEncodedBatch(batch: Uint8Array, max: number, verifyCrc: boolean): number {
  if (!(batch instanceof Uint8Array)) throw new TributaryError('INVALID_RECORD', 'produceBatch needs the batch as a Uint8Array');
  if (batch.length > max) throw batchTooLarge(batch.length, max);
  const bytes = Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
  const problem = checkBatch(bytes, 0, max, verifyCrc);
  if (problem) throw new TributaryError('INVALID_RECORD', `malformed record batch: ${problem}`, { details: { problem } });
  return readBatchHeader(bytes)!.recordCount;
}
