/**
 * Runs on: main thread.
 *
 * Produce (key 0): each partition's record batches are appended as the client encoded them
 * (the broker checks their CRC-32C), one after the other, once their records are checked against
 * their headers (batch-records.ts: a compressed batch is inflated once for it, and stored
 * compressed), so that a batch whose records cannot be read never reaches the log. A client that authenticated with a
 * token that has a tenant gets the tenant header on each record (the batch is re-encoded); any
 * other client's `tenant` headers are dropped (re-encoded too), since pipelines filter on them. An
 * idempotent producer's batches are checked for their sequence (producer-sequences.ts), and every
 * batch's timestamps as Kafka checks them (record-timestamps.ts). acks
 * 1 and -1 are answered once the
 * batch is written to its segment file (the embedded log has no followers to wait for); acks 0
 * gets no response at all.
 */
import { TributaryError } from '../../errors.js';
import { batchEnd, decodeRecordBatches, encodeRecordBatch, LOG_OVERHEAD, MAGIC, OFF_COUNT, OFF_PRODUCER_ID, readBatchHeader, sealBatch } from '../../log/record-batch.js';
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readProduceRequest } from '../messages/produce-request.js';
import { produceResponseSpec, writeProduceResponse } from '../messages/produce-response.js';
import { batchProducer } from '../../log/batch-producer.js';
import { checkBatchRecords } from '../batch-records.js';
import { checkRecordTimestamps } from '../record-timestamps.js';
import { TENANT_HEADER } from '../../otlp/signals.js';

const INVALID_REQUIRED_ACKS = 21;

/**
 * The batch with every record's `tenant` header set to the authenticated token's tenant, or
 * removed for a client whose token has none (one the client sent is never kept, so a tenant cannot
 * be claimed), as the OTLP receiver tags what a token sends. The batch is encoded anew,
 * uncompressed, with the records' own timestamps and producer fields.
 */
function withTenant(batch: Buffer, tenant: string | undefined): Buffer {
  const tag = tenant === undefined ? [] : [{ key: TENANT_HEADER, value: tenant }];
  const records = decodeRecordBatches(batch, '', 0).map((r) => ({
    key: r.key,
    value: r.value,
    timestamp: r.timestamp,
    headers: [...r.headers.filter((h) => h.key !== TENANT_HEADER), ...tag],
  }));
  const tagged = encodeRecordBatch(records);
  // An idempotent producer's id, epoch and sequence stay, so the batch is recognised when sent
  // again, after a restart too (they are read back from the log).
  batch.copy(tagged, PRODUCER_FIELDS_START, PRODUCER_FIELDS_START, PRODUCER_FIELDS_END);
  sealBatch(tagged, 0, tagged.length);
  return tagged;
}

/** Producer id (int64), epoch (int16) and base sequence (int32): together, up to the record count. */
const PRODUCER_FIELDS_START = OFF_PRODUCER_ID;
const PRODUCER_FIELDS_END = OFF_COUNT;

function oneBatch(records: Buffer): boolean {
  return records.length >= LOG_OVERHEAD && batchEnd(records, 0) === records.length;
}

/** The batches of one partition's records field, each checked for what the log can store and serve. */
function splitBatches(records: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < records.length) {
    const header = readBatchHeader(records, pos);
    if (!header) throw new TributaryError('INVALID_RECORD', `record batch at byte ${pos} is truncated`, { details: { problem: 'truncated' } });
    if (header.magic !== MAGIC) {
      throw new TributaryError('UNSUPPORTED_MESSAGE_FORMAT', `message format ${header.magic} is not stored; only record batches v2 (Kafka 0.11+, Produce v3+) are`, {
        details: { problem: 'bad-magic' },
      });
    }
    const end = pos + LOG_OVERHEAD + header.batchLength;
    if (header.batchLength <= 0 || end > records.length) {
      throw new TributaryError('INVALID_RECORD', `record batch at byte ${pos} overruns the request`, { details: { problem: 'truncated' } });
    }
    out.push(records.subarray(pos, end));
    pos = end;
  }
  if (out.length === 0) throw new TributaryError('INVALID_RECORD', 'a produce request needs at least one record batch');
  return out;
}

export const produce = defineApi({
  // From v0: librdkafka 2.0 compresses with gzip, snappy or lz4 only when the broker offers
  // Produce v0. Older message formats (magic 0 and 1, all v0-v2 clients send) are refused per
  // partition; librdkafka, kafka-python and the others send record batches v2 at v3 and later.
  ...specOf(produceResponseSpec, { min: 0, max: 9 }),
  name: 'Produce',
  readRequest: readProduceRequest,
  writeResponse: writeProduceResponse,
  // Each partition's one batch is handed to the log as the handler starts, in request order;
  // a partition with several batches appends them one after the other, and an idempotent
  // producer's sequence is checked against the batches stored before it: those requests wait.
  concurrent: (request) =>
    request.topicData.every((t) => t.partitionData.every((p) => p.records !== null && oneBatch(p.records) && batchProducer(p.records) === undefined)),
  // Every batch is copied into the broker's ring (or re-encoded, or its frame handed over) before
  // its append is awaited; an idempotent producer's sequence state keeps numbers, not bytes.
  doneWithRequestWhenHandled: true,
  largeRequests: true,
  async handle(request, ctx, { log, logger, sequences, producerRecovery, timestampAfterMaxMs }) {
    const { acks } = request;
    const validAcks = acks === 0 || acks === 1 || acks === -1;
    // A frame that holds one partition's one batch may be handed to the log instead of copied.
    const onePartition = request.topicData.length === 1 && request.topicData[0].partitionData.length === 1;
    const responses = await Promise.all(
      request.topicData.map(async (topic) => ({
        name: topic.name,
        partitionResponses: await Promise.all(
          topic.partitionData.map(async ({ index, records }) => {
            if (!validAcks) return { index, errorCode: INVALID_REQUIRED_ACKS, baseOffset: -1, errorMessage: `acks must be 0, 1 or -1, not ${acks}` };
            try {
              const batches = splitBatches(records ?? Buffer.alloc(0));
              let baseOffset = -1;
              for (const batch of batches) {
                const header = readBatchHeader(batch)!;
                const seen = checkBatchRecords(batch, header);
                checkRecordTimestamps(batch, header, seen, Date.now(), timestampAfterMaxMs);
                const { tenantHeader } = seen;
                const producer = batchProducer(batch);
                if (producer) await producerRecovery.ready(topic.name, index);
                const check = producer ? sequences.check(topic.name, index, producer) : undefined;
                if (check?.kind === 'refused') return { index, errorCode: check.errorCode, baseOffset: -1, errorMessage: check.message };
                if (check?.kind === 'duplicate') {
                  if (baseOffset < 0) baseOffset = check.baseOffset;
                  continue;
                }
                const stored = ctx.session.tenant || tenantHeader ? withTenant(batch, ctx.session.tenant) : batch;
                const handOver = onePartition && batches.length === 1 && stored === batch ? ctx.frame : undefined;
                // Not read after this call: a frame handed over is gone from this thread.
                const result = await log.produceBatch(topic.name, index, stored, { acks: acks === 0 ? 0 : 1 }, handOver);
                if (producer && acks !== 0) sequences.stored(topic.name, index, producer, result.baseOffset);
                if (baseOffset < 0) baseOffset = result.baseOffset;
              }
              return { index, errorCode: KafkaError.NONE, baseOffset, logStartOffset: -1 };
            } catch (err) {
              logger.debug('produce refused', { topic: topic.name, partition: index, client: ctx.clientId, error: (err as Error).message });
              return { index, errorCode: kafkaErrorCode(err), baseOffset: -1, errorMessage: (err as Error).message };
            }
          }),
        ),
      })),
    );
    return acks === 0 ? null : { responses };
  },
});
