import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterEach, describe, expect, it } from 'vitest';
import { fileSinkFactory } from '../../src/sinks/file/file-sink.js';
import { RotatingFile } from '../../src/sinks/file/rotating-file.js';
import { makeLogs, makeSpans } from '../otlp/fixtures.js';
import { batchOf, sinkContext } from './helpers.js';

type Json = Record<string, { scopeSpans?: { spans: { name: string }[] }[]; scopeLogs?: { logRecords: unknown[] }[] }[]>;

describe('file sink', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-file-sink-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const traceBatch = () => batchOf('traces', [ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 3, spansPerTrace: 2 }))!]);

  it('writes one OTLP/JSON line per signal and batch, and rolls to a new file past max_bytes', async () => {
    const dir = tempDir();
    const sink = fileSinkFactory.create({ type: 'file', path: join(dir, 'otlp.jsonl'), rotation: { max_bytes: 8000, max_files: 2 } }, sinkContext());
    await sink.start();
    for (let i = 0; i < 6; i++) await sink.export(traceBatch());
    await sink.export(batchOf('logs', [ProtobufLogsSerializer.serializeRequest(makeLogs({ logs: 4, events: 0 }))!]));
    await sink.shutdown();

    const files = readdirSync(dir).sort();
    expect(files).toContain('otlp.jsonl');
    const rolled = files.filter((f) => /^otlp-\d{4}-\d\d-\d\dT.*\.jsonl$/.test(f));
    expect(rolled).toHaveLength(2); // more were rolled; max_files kept the newest two
    for (const f of files) expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(8000);
    const current = readFileSync(join(dir, 'otlp.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Json);
    const last = current.at(-1)!;
    expect(last.resourceLogs[0].scopeLogs![0].logRecords).toHaveLength(4);
    const spans = JSON.parse(readFileSync(join(dir, rolled[0]), 'utf8').split('\n')[0]) as Json;
    expect(spans.resourceSpans[0].scopeSpans![0].spans.map((s) => s.name)).toContain('request 0');
  });

  it('gzips each batch as its own member, so the file reads back whole with gunzip', async () => {
    const dir = tempDir();
    const sink = fileSinkFactory.create({ type: 'file', path: join(dir, 'spans.jsonl'), compression: 'gzip' }, sinkContext());
    await sink.start();
    await sink.export(traceBatch());
    await sink.export(traceBatch());
    await sink.shutdown();
    const lines = gunzipSync(readFileSync(join(dir, 'spans.jsonl.gz'))).toString().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect((JSON.parse(lines[1]) as Json).resourceSpans[0].scopeSpans![0].spans).toHaveLength(6);
  });

  it('rolls by age', async () => {
    const dir = tempDir();
    let now = Date.parse('2026-01-02T03:04:05.000Z');
    const file = new RotatingFile(join(dir, 'a.jsonl'), { maxBytes: 0, maxAgeMs: 60_000, maxFiles: 0 }, { wall: () => now, elapsed: () => now });
    await file.append(Buffer.from('first\n'));
    now += 30_000;
    await file.append(Buffer.from('second\n'));
    now += 30_000;
    await file.append(Buffer.from('third\n'));
    await file.close();
    expect(readdirSync(dir).sort()).toEqual(['a-2026-01-02T03-05-05.000Z.jsonl', 'a.jsonl']);
    expect(readFileSync(join(dir, 'a-2026-01-02T03-05-05.000Z.jsonl'), 'utf8')).toBe('first\nsecond\n');
    expect(readFileSync(join(dir, 'a.jsonl'), 'utf8')).toBe('third\n');
  });

  it('prunes only its own rolled files: a file beside it whose name starts the same is kept', async () => {
    const dir = tempDir();
    // Another pipeline's file and its rolled file, and an operator's notes, beside spans.jsonl.
    const others = ['spans-errors.jsonl', 'spans-errors-2025-01-01T00-00-00.000Z.jsonl', 'spans-notes.jsonl'];
    for (const name of others) writeFileSync(join(dir, name), 'keep\n');
    let now = Date.parse('2026-01-02T03:04:05.000Z');
    const file = new RotatingFile(join(dir, 'spans.jsonl'), { maxBytes: 4, maxAgeMs: 0, maxFiles: 1 }, { wall: () => now, elapsed: () => now });
    for (const line of ['one\n', 'two\n', 'three\n']) {
      await file.append(Buffer.from(line));
      now += 1000;
    }
    await file.close();
    expect(readdirSync(dir).sort()).toEqual([...others, 'spans-2026-01-02T03-04-07.000Z.jsonl', 'spans.jsonl'].sort());
    expect(readFileSync(join(dir, 'spans-2026-01-02T03-04-07.000Z.jsonl'), 'utf8')).toBe('two\n');
  });

  it('refuses a bad config with the path of the key', () => {
    expect(() => fileSinkFactory.create({ type: 'file', rotation: { max_bytes: 'lots' } }, sinkContext())).toThrow(
      /pipelines\[0\]\.sink\.path: expected a file path[\s\S]*pipelines\[0\]\.sink\.rotation\.max_bytes: expected a size/,
    );
  });
});
