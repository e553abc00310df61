/** Runs on: a sink worker. */
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { conversionFailure } from '../conversion-failure.js';
import { HttpClient } from '../http/http-post.js';
import { httpSinkKeys } from '../http/http-config.js';
import { parseSinkConfig } from '../sink-config.js';
import type { ExportOutcome, Sink, SinkBatch, SinkContext, SinkFactory } from '../sink.js';
import { signalOfTopic } from '../signals.js';
import type { Conversion } from './conversion.js';
import { PrometheusConverter } from './otlp-to-prometheus.js';

const configSchema = z.strictObject({
  endpoint: httpSinkKeys.endpoint,
  headers: httpSinkKeys.headers,
  timeout: httpSinkKeys.timeout,
  /** Delta series kept in memory to turn delta points cumulative; past it points are dropped, counted. */
  max_delta_series: z.number().int().min(0).default(100_000),
  /** Send HELP/TYPE/UNIT metadata with the series. */
  send_metadata: z.boolean().default(true),
});

export type PrometheusRemoteWriteSinkConfig = z.output<typeof configSchema>;

/** Sends the metrics topic to a Prometheus remote write 1.0 endpoint (protobuf + snappy). */
export function createPrometheusRemoteWriteSink(config: PrometheusRemoteWriteSinkConfig, context: SinkContext): Sink {
  const converter = new PrometheusConverter({ maxDeltaSeries: config.max_delta_series, sendMetadata: config.send_metadata });
  const logger = context.logger.child('prometheusremotewrite');
  const droppedTotal = context.telemetry.counter(
    'tributary_sink_prometheus_dropped_points_total',
    'Metric data points that have no Prometheus remote write 1.0 form, by reason',
    ['pipeline', 'reason'],
  );
  const http = new HttpClient();
  return {
    type: 'prometheusremotewrite',
    async start() {},
    async export(batch: SinkBatch): Promise<ExportOutcome> {
      const requests: Uint8Array[] = [];
      for (const { signal, records } of batch.signals) {
        if (signal !== 'metrics') continue;
        for (const record of records) if (record.value) requests.push(record.value);
      }
      let conversion: Conversion;
      try {
        conversion = await converter.convert(requests);
      } catch (err) {
        // A record that does not decode is dead-lettered; any other failure is retried.
        throw conversionFailure('metrics', err);
      }
      const { body, series, dropped } = conversion;
      let droppedItems = 0;
      for (const [reason, count] of dropped) {
        droppedItems += count;
        droppedTotal.inc({ pipeline: context.pipeline, reason }, count);
        logger.warn('dropped data points', { pipeline: context.pipeline, reason, count });
      }
      if (series === 0) return { droppedItems };
      await http.post({
        url: config.endpoint,
        body,
        contentType: 'application/x-protobuf',
        headers: { ...config.headers, 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
        timeoutMs: config.timeout,
        compression: 'none',
      });
      return { droppedItems };
    },
    async shutdown() {
      http.close();
    },
  };
}

export const prometheusRemoteWriteSinkFactory: SinkFactory = {
  type: 'prometheusremotewrite',
  create(raw, context) {
    const config = parseSinkConfig(configSchema, raw, context.path);
    const other = context.topics.filter((t) => signalOfTopic(t) !== undefined && signalOfTopic(t) !== 'metrics');
    if (other.length > 0) {
      // The sink type is what cannot carry them: the field a form marks (`sink.type`).
      throw new ConfigError(`${context.path}: prometheusremotewrite exports metrics only, but the pipeline also reads ${other.join(', ')}`, {
        details: { field: `${context.path}.type` },
      });
    }
    return createPrometheusRemoteWriteSink(config, context);
  },
};
