/** Runs on: a sink worker. */
import { z } from 'zod';
import { HttpClient } from '../http/http-post.js';
import { httpSinkKeys, httpUrl } from '../http/http-config.js';
import { parseSinkConfig } from '../sink-config.js';
import type { ExportOutcome, Signal, SignalRecords, Sink, SinkBatch, SinkContext, SinkFactory } from '../sink.js';
import { mergeRequests } from '../signals.js';
import { BufferPool } from '../../buffer-pool.js';
import { readPartialSuccess } from './partial-success.js';

const configSchema = z.strictObject({
  ...httpSinkKeys,
  /** Full URLs per signal; by default `<endpoint>/v1/traces` and so on, as OTLP exporters do. */
  traces_endpoint: httpUrl.optional(),
  metrics_endpoint: httpUrl.optional(),
  logs_endpoint: httpUrl.optional(),
});

export type OtlpHttpSinkConfig = z.output<typeof configSchema>;

/**
 * Request bodies' memory, reused from one export to the next (see BufferPool): a fresh body of a
 * few MB per batch made the sink worker mark-compact every second or so. Small bodies sit in
 * Node's pool; a few batches' bodies are kept.
 */
const BODY_POOL = { maxFreeBytes: 32 * 1024 * 1024, minPooledBytes: 64 * 1024 };

const SIGNAL_PATHS: Record<Signal, string> = { traces: 'v1/traces', metrics: 'v1/metrics', logs: 'v1/logs' };

function signalUrl(config: OtlpHttpSinkConfig, signal: Signal): string {
  const explicit = config[`${signal}_endpoint`];
  if (explicit) return explicit;
  return config.endpoint.replace(/\/*$/, '/') + SIGNAL_PATHS[signal];
}

/**
 * Forwards to an OTLP/HTTP endpoint in protobuf: the records of each signal in a batch become one
 * request, merged at the wire level without decoding.
 */
export function createOtlpHttpSink(config: OtlpHttpSinkConfig, context: SinkContext): Sink {
  const logger = context.logger.child('otlphttp');
  // Signals of a batch already accepted: a retry after a later signal failed does not resend them.
  const delivered = new WeakSet<SignalRecords>();
  const http = new HttpClient();
  const bodies = new BufferPool(BODY_POOL);
  return {
    type: 'otlphttp',
    async start() {},
    async export(batch: SinkBatch): Promise<ExportOutcome> {
      let rejectedItems = 0;
      for (const group of batch.signals) {
        if (delivered.has(group)) continue;
        const { signal, records } = group;
        const url = signalUrl(config, signal);
        const body = mergeRequests(records, (size) => bodies.take(size));
        const answer = await http.post({
          url,
          body,
          contentType: 'application/x-protobuf',
          headers: config.headers,
          timeoutMs: config.timeout,
          compression: config.compression,
          bodyDone: () => bodies.give(body),
        });
        const partial = readPartialSuccess(answer.body);
        if (partial && (partial.rejected > 0 || partial.message)) {
          rejectedItems += partial.rejected;
          logger.warn('destination accepted part of the batch', { pipeline: context.pipeline, url, rejected: partial.rejected, reason: partial.message });
        }
        delivered.add(group);
      }
      return { rejectedItems };
    },
    async shutdown() {
      http.close();
    },
  };
}

export const otlpHttpSinkFactory: SinkFactory = {
  type: 'otlphttp',
  create: (raw, context) => createOtlpHttpSink(parseSinkConfig(configSchema, raw, context.path), context),
};
