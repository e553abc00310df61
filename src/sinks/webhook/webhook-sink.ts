// Runs on: sink worker.
import { z } from 'zod';
import { HttpClient } from '../http/http-post.js';
import { httpSinkKeys } from '../http/http-config.js';
import { recordsAsJson } from '../otlp-text.js';
import { parseSinkConfig } from '../sink-config.js';
import type { ExportOutcome, SignalRecords, Sink, SinkBatch, SinkContext, SinkFactory } from '../sink.js';

const configSchema = z.strictObject(httpSinkKeys);

export type WebhookSinkConfig = z.output<typeof configSchema>;

/** POSTs each batch to one URL as OTLP/JSON, one request per signal, with the configured headers. */
export function createWebhookSink(config: WebhookSinkConfig, _context: SinkContext): Sink {
  // Signals of a batch already accepted: a retry after a later signal failed does not resend them.
  const delivered = new WeakSet<SignalRecords>();
  const http = new HttpClient();
  return {
    type: 'webhook',
    async start() {},
    async export(batch: SinkBatch): Promise<ExportOutcome> {
      for (const group of batch.signals) {
        if (delivered.has(group)) continue;
        const { signal, records } = group;
        await http.post({
          url: config.endpoint,
          body: recordsAsJson(signal, records),
          contentType: 'application/json',
          // The receiver can route on the signal without looking inside the body.
          headers: { ...config.headers, 'x-tributary-signal': signal },
          timeoutMs: config.timeout,
          compression: config.compression,
        });
        delivered.add(group);
      }
      return {};
    },
    async shutdown() {
      http.close();
    },
  };
}

export const webhookSinkFactory: SinkFactory = {
  type: 'webhook',
  create: (raw, context) => createWebhookSink(parseSinkConfig(configSchema, raw, context.path), context),
};
