import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWholeGateway, type WholeGateway } from '../receiver/whole-gateway.js';
import { eventually } from './helpers.js';

let gw: WholeGateway;
beforeAll(async () => {
  gw = await startWholeGateway({ pipelines: (dir) => [{ group: 'archive', topics: ['otlp_metrics'], sink: { type: 'file', path: join(dir, 'metrics.jsonl') } }] });
});
afterAll(() => gw?.close());

/** protobuf's JSON mapping writes the doubles JSON has no literal for as these strings. */
const NON_FINITE = ['NaN', 'Infinity', '-Infinity'];

describe('OTLP/JSON that the sinks and the records API write', () => {
  it('writes NaN and infinite doubles as the strings "NaN", "Infinity" and "-Infinity", not as null (which reads as 0)', async () => {
    const dataPoints = NON_FINITE.map((asDouble, i) => ({ timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)), asDouble }));
    const request = { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'ratio', gauge: { dataPoints } }] }] }] };
    expect((await gw.post('metrics', JSON.stringify(request), { json: true })).status).toBe(200);

    type Line = { resourceMetrics: { scopeMetrics: { metrics: { gauge: { dataPoints: { asDouble: unknown }[] } }[] }[] }[] };
    const written = (line: Line) => line.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints.map((p) => p.asDouble);
    const line = await eventually('the file sink writes the metric', () => {
      try {
        return readFileSync(join(gw.dataDir, 'metrics.jsonl'), 'utf8').split('\n')[0] || undefined;
      } catch {
        return undefined;
      }
    });
    expect(written(JSON.parse(line) as Line)).toEqual(NON_FINITE);

    const listed = await gw.admin<{ records: { value: Line }[] }>(`/api/v1/topics/otlp_metrics/records?partition=${(await gw.records('otlp_metrics'))[0].partition}&format=otlp-json`);
    expect(written(listed.records[0].value)).toEqual(NON_FINITE);
  });
});
