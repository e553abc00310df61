import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { sinkFactories } from '../../src/sinks/registry.js';
import { defaultSinkWorkers, placeMembers } from '../../src/sinks/runtime/placement.js';

const pipelines = (list: Record<string, unknown>[]) => configSchema.parse({ pipelines: list }).pipelines;
const oneInstance = (config: { sink: { type: string } }) => sinkFactories.get(config.sink.type)?.oneInstance === true;
const settings = (config: { group: string }, m: number) => ({ group: config.group, clientId: `${config.group}-${m}` }) as never;

/** Which worker runs each member, as `group-m@worker`. */
function layout(placement: ReturnType<typeof placeMembers>): string[] {
  return placement.flatMap((hosted, worker) => hosted.flatMap((p) => p.members.map((m) => `${(m as { clientId: string }).clientId}@${worker}`))).sort();
}

describe('sink worker placement', () => {
  it('deals the members of the pipelines to the workers in turn', () => {
    const config = pipelines([
      { group: 'otlp', topics: ['otlp_spans'], members: 3, sink: { type: 'otlphttp', endpoint: 'http://127.0.0.1:1' } },
      { group: 'hook', topics: ['otlp_logs'], sink: { type: 'webhook', endpoint: 'http://127.0.0.1:1' } },
    ]);
    expect(layout(placeMembers(config, 2, oneInstance, settings))).toEqual(['hook-0@1', 'otlp-0@0', 'otlp-1@1', 'otlp-2@0']);
  });

  it('keeps the members of a file pipeline on one worker, with one sink (one writer per file)', () => {
    const config = pipelines([
      { group: 'files', topics: ['otlp_logs'], members: 3, sink: { type: 'file', path: '/tmp/x.jsonl' } },
      { group: 'prom', topics: ['otlp_metrics'], members: 2, sink: { type: 'prometheusremotewrite', endpoint: 'http://127.0.0.1:1' } },
    ]);
    const placement = placeMembers(config, 4, oneInstance, settings);
    expect(layout(placement)).toEqual(['files-0@0', 'files-1@0', 'files-2@0', 'prom-0@1', 'prom-1@2']);
    expect(placement.map((hosted) => hosted.length)).toEqual([1, 1, 1]);
  });

  it('starts no more workers than there are members', () => {
    const config = pipelines([{ group: 'only', topics: ['otlp_spans'], sink: { type: 'debug' } }]);
    expect(placeMembers(config, 8, oneInstance, settings)).toHaveLength(1);
  });

  it('takes half the cores by default, between 1 and 8', () => {
    expect([1, 2, 4, 6, 16, 64].map((cores) => defaultSinkWorkers(cores))).toEqual([1, 1, 2, 3, 8, 8]);
  });

  it('refuses a sinks.workers that is not a positive integer, naming the key', () => {
    expect(() => parseConfig('sinks:\n  workers: 0\n')).toThrow(/sinks\.workers: /);
    expect(() => parseConfig('sinks:\n  workers: two\n')).toThrow(/sinks\.workers: /);
    expect(parseConfig('sinks:\n  workers: 3\n').sinks.workers).toBe(3);
  });
});
