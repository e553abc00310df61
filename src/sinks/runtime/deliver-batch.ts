// Runs on: sink worker.
import { setTimeout as sleep } from 'node:timers/promises';
import { asTributaryError, TributaryError } from '../../errors.js';
import type { ConsumedRecord } from '../../log/types.js';
import { heldBack, type LogThrottle } from '../../telemetry/log-throttle.js';
import type { Logger } from '../../telemetry/logger.js';
import type { RecordFilter } from '../filter/record-filter.js';
import { countRecordItems } from '../otlp-items.js';
import type { Sink, SinkBatch } from '../sink.js';
import { groupBySignal } from '../signals.js';
import { backoffDelay, type RetryPolicy } from '../../retry/backoff.js';
import type { DeadLetterTopic } from './dead-letter.js';
import type { SinkMetrics } from './sink-metrics.js';

export interface DeliveryContext {
  pipeline: string;
  sink: Sink;
  retry: RetryPolicy;
  /** Undefined when the pipeline turned dead-lettering off: rejected batches are then dropped, loudly. */
  deadLetter: DeadLetterTopic | undefined;
  /** The pipeline's filter; undefined when it has none, and then nothing is checked. */
  filter?: RecordFilter | undefined;
  metrics: SinkMetrics;
  logger: Logger;
  /** Holds back repeated rejection lines: a destination refusing everything fails every batch alike. */
  rejections: LogThrottle;
  /** Aborted at shutdown: the attempt in flight finishes, no new one starts. */
  stopping: AbortSignal;
}

/** `filtered`: the filter let no record through, so nothing was exported; the batch is committed all the same. */
export type DeliveryResult = 'exported' | 'dead_lettered' | 'dropped' | 'abandoned' | 'filtered';

function toBatch(records: ConsumedRecord[]): SinkBatch {
  return { signals: groupBySignal(records), records: records.length };
}

/** Items in the batch; a record that does not parse counts none (the sink reports it on its own). */
function itemsOf(batch: SinkBatch): number {
  let items = 0;
  for (const group of batch.signals) items += countRecordItems(group.signal, group.records);
  return items;
}

/**
 * Delivers one polled batch: first the pipeline's filter, if any, takes out the records the sink
 * must not get (never dead-lettered; the caller commits the whole polled batch, so they are not
 * read again); then export, retrying retriable failures with backoff. An error the sink did
 * not classify (not a TributaryError: a full disk, a bug) counts as retriable; only one the sink
 * marked permanent (`retriable: false`, e.g. a 400 from the backend, or a record whose signal
 * cannot be told), or retries past
 * `max_elapsed_time`, sends the batch to the dead-letter topic. Resolves with what
 * became of it; `abandoned` (shutdown during retries) means it must not be committed, so that it
 * is read again after the restart.
 */
export async function deliverBatch(polled: ConsumedRecord[], ctx: DeliveryContext): Promise<DeliveryResult> {
  const { pipeline, metrics } = ctx;
  const records = ctx.filter ? applyFilter(ctx.filter, polled, ctx) : polled;
  if (records.length === 0) return 'filtered';
  // Retries' elapsed time on the monotonic clock: a wall clock stepped forward would dead-letter at once.
  const started = performance.now();
  let batch: SinkBatch | undefined;
  for (let attempt = 0; ; attempt++) {
    let failure: TributaryError;
    try {
      // Grouping is classified like an export: a record whose signal cannot be told fails it for
      // good (INVALID_RECORD, permanent); anything else nobody classified is retried.
      batch ??= toBatch(records);
      const timer = metrics.exportDuration.startTimer({ pipeline });
      try {
        const outcome = await ctx.sink.export(batch);
        timer({ outcome: 'success' });
        const items = outcome.items ?? itemsOf(batch);
        metrics.items.inc({ pipeline }, Math.max(0, items - (outcome.rejectedItems ?? 0) - (outcome.droppedItems ?? 0)));
        if (outcome.rejectedItems) metrics.rejectedItems.inc({ pipeline }, outcome.rejectedItems);
        if (outcome.droppedItems) metrics.droppedItems.inc({ pipeline }, outcome.droppedItems);
        metrics.records.inc({ pipeline, outcome: 'exported' }, records.length);
        return 'exported';
      } catch (err) {
        timer({ outcome: 'failure' });
        throw err;
      }
    } catch (err) {
      failure = asTributaryError(err);
    }
    metrics.failures.inc({ pipeline, kind: failure.retriable ? 'retriable' : 'permanent' });
    if (failure.retriable) {
      const delay = backoffDelay(ctx.retry, attempt, failure.details?.retryAfterMs as number | undefined);
      const elapsed = Math.round(performance.now() - started);
      const withinBudget = ctx.retry.max_elapsed_time === 0 || elapsed + delay <= ctx.retry.max_elapsed_time;
      if (withinBudget) {
        if (ctx.stopping.aborted) return abandon(ctx, records, failure);
        ctx.logger.warn('export failed, retrying', { pipeline, attempt: attempt + 1, delayMs: delay, error: failure });
        try {
          await sleep(delay, undefined, { signal: ctx.stopping });
        } catch {
          return abandon(ctx, records, failure);
        }
        metrics.retries.inc({ pipeline });
        continue;
      }
      const retryAfterMs = failure.details?.retryAfterMs as number | undefined;
      const why =
        retryAfterMs !== undefined && retryAfterMs > ctx.retry.max_elapsed_time - elapsed
          ? `its Retry-After of ${retryAfterMs} ms is past retry.max_elapsed_time (${ctx.retry.max_elapsed_time} ms)`
          : `gave up after ${elapsed} ms of retries`;
      failure = new TributaryError('SINK_UNAVAILABLE', `${why}: ${failure.message}`, {
        cause: failure,
        details: failure.details,
      });
    }
    return reject(ctx, records, failure);
  }
}

/** The records that pass the filter; those left out are counted, and committed with the batch by the caller. */
function applyFilter(filter: RecordFilter, records: ConsumedRecord[], { pipeline, metrics }: DeliveryContext): ConsumedRecord[] {
  const { kept, filtered, removedItems } = filter.apply(records);
  if (filtered > 0) metrics.filtered.inc({ pipeline }, filtered);
  if (removedItems > 0) metrics.filteredItems.inc({ pipeline }, removedItems);
  return kept;
}

function abandon(ctx: DeliveryContext, records: ConsumedRecord[], failure: TributaryError): DeliveryResult {
  ctx.logger.warn('shutting down during retries: the batch stays uncommitted and is read again after restart', {
    pipeline: ctx.pipeline,
    records: records.length,
    error: failure,
  });
  return 'abandoned';
}

async function reject(ctx: DeliveryContext, records: ConsumedRecord[], failure: TributaryError): Promise<DeliveryResult> {
  const { pipeline, metrics } = ctx;
  if (!ctx.deadLetter) {
    const held = ctx.rejections.allow(`dropped ${failure.code}`);
    if (held !== undefined) ctx.logger.error('batch rejected and dead-lettering is off: dropping it', { pipeline, records: records.length, error: failure, ...heldBack(held) });
    metrics.records.inc({ pipeline, outcome: 'dropped' }, records.length);
    return 'dropped';
  }
  // The dead-letter topic is our own log: retry it until it takes the batch (or shutdown).
  for (let attempt = 0; ; attempt++) {
    try {
      const bare = await ctx.deadLetter.send(records, failure);
      if (bare > 0) {
        ctx.logger.warn('records too large for the error headers were dead-lettered without them', { pipeline, topic: ctx.deadLetter.topic, records: bare, error: failure });
      }
      break;
    } catch (err) {
      if (ctx.stopping.aborted) return abandon(ctx, records, asTributaryError(err));
      const delay = backoffDelay(ctx.retry, attempt);
      ctx.logger.warn('cannot write the dead-letter topic, retrying', { pipeline, delayMs: delay, error: asTributaryError(err) });
      await sleep(delay, undefined, { signal: ctx.stopping }).catch(() => {});
    }
  }
  const held = ctx.rejections.allow(`dead_lettered ${failure.code}`);
  if (held !== undefined) {
    ctx.logger.error('batch rejected: sent to the dead-letter topic', {
      pipeline,
      topic: ctx.deadLetter.topic,
      records: records.length,
      error: failure,
      ...heldBack(held),
    });
  }
  metrics.records.inc({ pipeline, outcome: 'dead_lettered' }, records.length);
  return 'dead_lettered';
}
