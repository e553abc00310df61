import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

/** A config file of one pipeline with the given `filter:` block (YAML, indented under the pipeline). */
function pipelineWith(filter: string): string {
  return `pipelines:\n  - group: team-a\n    topics: [otlp_spans, otlp_logs]\n    sink: { type: debug }\n    filter:\n${filter
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n')}\n`;
}

describe('pipelines[].filter in the config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-filter-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const load = (yaml: string) => {
    const file = join(dir, `config-${n++}.yaml`);
    writeFileSync(file, yaml);
    return loadConfig(file, {});
  };
  /** The error's lines for a config that must be refused. */
  function refusal(yaml: string): string[] {
    try {
      load(yaml);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).details!.issues as string[];
    }
    throw new Error(`accepted:\n${yaml}`);
  }

  it('accepts every key, keeping what was written', () => {
    const config = load(pipelineWith('resource: { service.name: [checkout, payment], deployment.shard: [3], canary: [true] }\ntenants: [team-a]\nmin_severity: warn\nsignals: [traces, logs]'));
    expect(config.pipelines[0].filter).toEqual({
      resource: { 'service.name': ['checkout', 'payment'], 'deployment.shard': [3], canary: [true] },
      tenants: ['team-a'],
      min_severity: 'warn',
      signals: ['traces', 'logs'],
    });
    expect(load(pipelineWith('min_severity: 17')).pipelines[0].filter).toEqual({ min_severity: 17 });
    expect(load('pipelines:\n  - { group: all, topics: [otlp_spans], sink: { type: debug } }\n').pipelines[0].filter).toBeUndefined();
  });

  it('refuses a bad severity, naming the key path and the levels it takes', () => {
    const expected = 'pipelines[0].filter.min_severity: expected one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL (any case) or a severity number 1-24';
    expect(refusal(pipelineWith('min_severity: WARNING'))).toEqual([expected]);
    expect(refusal(pipelineWith('min_severity: 0'))).toEqual([expected]);
    expect(refusal(pipelineWith('min_severity: 25'))).toEqual([expected]);
    expect(refusal(pipelineWith('min_severity: 12.5'))).toEqual([expected]);
    expect(refusal(pipelineWith('min_severity: true'))).toEqual([expected]);
  });

  it('refuses empty lists, which would let nothing through, so a typo never drops all data', () => {
    expect(refusal(pipelineWith('tenants: []'))).toEqual(['pipelines[0].filter.tenants: expected at least one tenant; leave the key out to filter nothing by it']);
    expect(refusal(pipelineWith('signals: []'))).toEqual([
      'pipelines[0].filter.signals: expected at least one signal; leave the key out to filter nothing by it',
    ]);
    expect(refusal(pipelineWith('resource: { service.name: [] }'))).toEqual([
      'pipelines[0].filter.resource.service.name: expected at least one attribute value; leave the key out to filter nothing by it',
    ]);
    expect(refusal(pipelineWith('resource: {}'))).toEqual(['pipelines[0].filter.resource: expected at least one attribute; leave the key out to filter nothing by it']);
  });

  it('refuses signals that none of the pipeline receiver topics holds: it would deliver nothing', () => {
    expect(refusal(pipelineWith('signals: [metrics, events]'))).toEqual([
      "pipelines[0].filter.signals: none of metrics, events is in this pipeline's topics (otlp_spans: traces, otlp_logs: logs): it would deliver nothing",
    ]);
    // A topic of its own may hold any kind of record: then the filter is the pipeline's to choose.
    const own = 'pipelines:\n  - { group: g, topics: [otlp_spans, imported], sink: { type: debug }, filter: { signals: [metrics] } }\n';
    expect(load(own).pipelines[0].filter).toEqual({ signals: ['metrics'] });
  });

  it('refuses unknown keys, unknown signals and values of the wrong shape', () => {
    expect(refusal(pipelineWith('tenant: [team-a]'))).toEqual(['pipelines[0].filter: unknown key "tenant"']);
    expect(refusal(pipelineWith('signals: [traces, spans]'))[0]).toMatch(/^pipelines\[0\]\.filter\.signals\[1\]: .*"traces"\|"metrics"\|"logs"\|"events"/);
    expect(refusal(pipelineWith('resource: { service.name: checkout }'))).toEqual(['pipelines[0].filter.resource.service.name: expected a list of attribute values']);
    expect(refusal(pipelineWith('resource: { service.name: [{ a: 1 }] }'))).toEqual(['pipelines[0].filter.resource.service.name[0]: expected a string, number or boolean']);
    expect(refusal(pipelineWith('tenants: [""]'))).toEqual(['pipelines[0].filter.tenants[0]: expected a tenant name']);
    expect(refusal(pipelineWith('tenants: team-a'))).toEqual(['pipelines[0].filter.tenants: expected a list of tenants']);
  });
});
