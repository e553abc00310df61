import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { useDataDirs } from '../log/helpers.js';
import { eventually, produceTraces, startLog, startReceiver, type TestReceiver } from './helpers.js';

const SCRIPT = join(import.meta.dirname, 'fixtures', 'pipeline-process.ts');

async function startProcess(dataDir: string, endpoint: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dataDir, endpoint], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`pipeline process exited with ${code}`)));
  });
  return child;
}

function spanIdsOf(body: Buffer): string[] {
  const json = protoToJson(body, 'ExportTraceServiceRequest') as { resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[] };
  return json.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.spanId)));
}

describe('kill -9 during exports', () => {
  const dataDir = useDataDirs();
  let receiver: TestReceiver | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await receiver?.close();
  });

  it('delivers every span at least once after a restart', async () => {
    const dir = dataDir();
    const seed = await startLog(dir, 1);
    const spans = await produceTraces(seed.log, { service: 'cart', traces: 30, spansPerTrace: 1 });
    await seed.stop();

    receiver = await startReceiver();
    const seen = new Set<string>();
    let requests = 0;
    let crashing = true;
    receiver.respond = (req) => {
      requests++;
      // The first process is killed with its fourth export in flight, never answered.
      if (crashing && requests > 3) return new Promise(() => {});
      for (const id of spanIdsOf(req.body)) seen.add(id);
      return { status: 200 };
    };
    const first = await startProcess(dir, receiver.url);
    children.push(first);
    await eventually('an export in flight', () => requests > 3);
    first.kill('SIGKILL');
    await once(first, 'exit');
    expect(seen.size).toBeLessThan(spans.length);
    crashing = false;

    const second = await startProcess(dir, receiver.url);
    children.push(second);
    await eventually('every span delivered', () => seen.size === spans.length);
    expect([...seen].sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
    second.kill('SIGTERM');
    expect((await once(second, 'exit'))[0]).toBe(0);
  });
});
