import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/retry/backoff.js';
import { parseRetryAfter } from '../../src/sinks/http/retry-after.js';
import { createSink, sinkFactories } from '../../src/sinks/registry.js';
import { sinkContext } from './helpers.js';

describe('sink registry and settings', () => {
  it('knows every sink type', () => {
    expect([...sinkFactories.keys()].sort()).toEqual(['debug', 'file', 'kafka', 'otlphttp', 'prometheusremotewrite', 'webhook']);
  });

  it('refuses an unknown type, naming the choices', () => {
    expect(() => createSink({ type: 'kafkaa' }, sinkContext({ path: 'pipelines[2].sink' }))).toThrow(
      'pipelines[2].sink.type: unknown sink type "kafkaa"; expected one of otlphttp, prometheusremotewrite, file, webhook, debug, kafka',
    );
  });

  it('names the path of a bad or unknown key', () => {
    expect(() => createSink({ type: 'otlphttp', endpoint: 'not a url' }, sinkContext())).toThrow('pipelines[0].sink.endpoint: expected a URL');
    expect(() => createSink({ type: 'webhook', endpoint: 'http://x', headers: { a: 1 } }, sinkContext())).toThrow('pipelines[0].sink.headers.a');
    expect(() => createSink({ type: 'debug', verbose: true }, sinkContext())).toThrow('pipelines[0].sink: unknown key "verbose"');
  });

  it('refuses prometheusremotewrite on a pipeline that reads other signals than metrics', () => {
    expect(() =>
      createSink({ type: 'prometheusremotewrite', endpoint: 'http://127.0.0.1:9090/api/v1/write' }, sinkContext({ topics: ['otlp_metrics', 'otlp_spans'] })),
    ).toThrow('prometheusremotewrite exports metrics only, but the pipeline also reads otlp_spans');
  });
});

describe('retry timing', () => {
  const policy = { initial_interval: 100, max_interval: 1_000, max_elapsed_time: 0 };

  it('grows exponentially within ±50 % jitter, capped by max_interval', () => {
    expect(backoffDelay(policy, 0, undefined, () => 0)).toBe(50);
    expect(backoffDelay(policy, 0, undefined, () => 1)).toBe(150);
    expect(backoffDelay(policy, 3, undefined, () => 0.5)).toBe(800);
    expect(backoffDelay(policy, 10, undefined, () => 0.5)).toBe(1_000);
  });

  it('never waits less than Retry-After asks', () => {
    expect(backoffDelay(policy, 0, 5_000, () => 1)).toBe(5_000);
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(Date.parse('2026-01-01T00:00:30Z')).toUTCString(), Date.parse('2026-01-01T00:00:00Z'))).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
