/** Runs on: a sink worker. */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Conversion, ConverterState } from './conversion.js';
import { ConversionRun } from './conversion-run.js';
import { DeltaAccumulator } from './delta-to-cumulative.js';
import { LabelCache } from './label-cache.js';
import { SampleColumns } from './series-set.js';

/** Requests converted between two yields to the event loop: the worker's other pipelines get their turns. */
const REQUESTS_PER_SLICE = 32;

/**
 * Converts OTLP metrics, as protobuf ExportMetricsServiceRequests, to remote write series by the
 * OpenTelemetry-to-Prometheus rules, reading the wire format directly: no object per data point
 * beyond its labels and sample. One converter per sink: it keeps the running totals that turn
 * delta points cumulative. Conversions asked for at once (members sharing the sink) run one after
 * another: a kept series carries the number the conversion under way gave it.
 */
export class PrometheusConverter {
  private readonly state: ConverterState;
  private readonly sendMetadata: boolean;
  private runs = 0;
  private running: Promise<unknown> = Promise.resolve();

  /** `sendMetadata`: whether WriteRequests carry the metrics' HELP/TYPE/UNIT (default true). */
  constructor(options: { maxDeltaSeries?: number; sendMetadata?: boolean } = {}) {
    this.sendMetadata = options.sendMetadata ?? true;
    this.state = {
      deltas: new DeltaAccumulator(options.maxDeltaSeries ?? 100_000),
      labelNames: new Map(),
      metricNames: new Map(),
      labels: new LabelCache(),
      columns: new SampleColumns(),
    };
  }

  /** Converts the requests, yielding to the event loop now and then; a malformed one throws (INVALID_REQUEST). */
  convert(requests: readonly Uint8Array[]): Promise<Conversion> {
    const conversion = this.running.then(() => this.convertNow(requests));
    this.running = conversion.catch(() => {});
    return conversion;
  }

  private async convertNow(requests: readonly Uint8Array[]): Promise<Conversion> {
    const run = new ConversionRun(this.state, ++this.runs);
    for (let i = 0; i < requests.length; i++) {
      if (i > 0 && i % REQUESTS_PER_SLICE === 0) await yieldToEventLoop();
      run.request(requests[i]);
    }
    return run.result(this.sendMetadata);
  }
}

