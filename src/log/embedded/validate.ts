import type { TopicConfig } from '../../config/schema.js';
import { TributaryError } from '../../errors.js';
import type { ProducerRecord, TopicSpec } from '../types.js';

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
