import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODEC_NAMES } from '../../src/log/compression.js';
import { tributary } from '../e2e/cli-process.js';
import { clientAvailable, type KafkaGateway, run, startKafkaGateway, storedCodecs } from './helpers.js';
import { makeSpans } from '../otlp/fixtures.js';
import { eventually } from '../sinks/helpers.js';
import { lengthPrefixed, logCountOf, sendLogs, sendSpans, spanIdsOf } from './otlp-records.js';

const hasKcat = clientAvailable('kcat', ['-V'], 'kcat');

describe.runIf(hasKcat)('kcat (librdkafka 2.0) against the Kafka listener', () => {
  let g: KafkaGateway;
  const dir = mkdtempSync(join(tmpdir(), 'tributary-kcat-'));
  const exported = join(dir, 'spans.jsonl');
  beforeAll(async () => {
    // A file sink on a sink worker thread reads the spans topic, whatever wrote it.
    g = await startKafkaGateway({ partitions: 3, pipelines: [{ group: 'spans-file', topics: ['otlp_spans'], sink: { type: 'file', path: exported } }] });
  }, 60_000);
  afterAll(async () => {
    await g?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists one broker, which is the controller and leads every partition of every topic', async () => {
    const { code, stdout, stderr } = await run('kcat', ['-b', g.bootstrap, '-L', '-J']);
    expect(code, stderr).toBe(0);
    const metadata = JSON.parse(stdout.toString());
    const port = Number(g.bootstrap.split(':')[1]);
    expect(metadata.brokers).toEqual([{ id: 0, name: `127.0.0.1:${port}` }]);
    expect(metadata.controllerid).toBe(0);
    const spans = metadata.topics.find((t: { topic: string }) => t.topic === 'otlp_spans');
    expect(spans.partitions.map((p: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }) => [p.partition, p.leader, p.replicas, p.isrs])).toEqual([
      [0, 0, [{ id: 0 }], [{ id: 0 }]],
      [1, 0, [{ id: 0 }], [{ id: 0 }]],
      [2, 0, [{ id: 0 }], [{ id: 0 }]],
    ]);
  });

  it('consumes every span and log record the OTLP receiver wrote, each record decoding alone as OTLP', async () => {
    const sentSpans = await sendSpans(g.receiverUrl, 40, 5);
    const sentLogs = await sendLogs(g.receiverUrl, 30);

    const spans = await run('kcat', ['-b', g.bootstrap, '-C', '-t', 'otlp_spans', '-o', 'beginning', '-e', '-q', '-f', '%R%s']);
    expect(spans.code, spans.stderr).toBe(0);
    const consumed = lengthPrefixed(spans.stdout).flatMap(spanIdsOf);
    expect(consumed.sort()).toEqual([...sentSpans].sort());

    const logs = await run('kcat', ['-b', g.bootstrap, '-C', '-t', 'otlp_logs', '-o', 'beginning', '-e', '-q', '-f', '%R%s']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(lengthPrefixed(logs.stdout).reduce((n, v) => n + logCountOf(v), 0)).toBe(sentLogs);
  });

  it('consumes from an offset in the middle of a batch, and from the end, waiting for new records', async () => {
    const input = Array.from({ length: 10 }, (_, i) => `mid-${i}`).join('\n');
    expect((await run('kcat', ['-b', g.bootstrap, '-P', '-t', 'events_in', '-p', '2'], { input })).code).toBe(0);
    const from = await run('kcat', ['-b', g.bootstrap, '-C', '-t', 'events_in', '-p', '2', '-o', '7', '-e', '-q']);
    expect(from.stdout.toString().trim().split('\n')).toEqual(['mid-7', 'mid-8', 'mid-9']);

    const waiting = run('kcat', ['-b', g.bootstrap, '-C', '-t', 'events_in', '-p', '2', '-o', 'end', '-c', '2', '-q']);
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await run('kcat', ['-b', g.bootstrap, '-P', '-t', 'events_in', '-p', '2'], { input: 'late-1\nlate-2' })).code).toBe(0);
    const late = await waiting;
    expect(late.stdout.toString().trim().split('\n')).toEqual(['late-1', 'late-2']);
  });

  it('serves three consumers at once the same 5 MB in fetches of 256 KB, each record intact and in order', async () => {
    // Each fetch's memory goes back to the broker once written, and later fetches are read into
    // it: a response whose bytes were reused before they left would show here as wrong records.
    const lines = Array.from({ length: 5000 }, (_, i) => `big-${i}-`.padEnd(1000, String.fromCharCode(97 + (i % 26))));
    const produced = await run('kcat', ['-b', g.bootstrap, '-P', '-t', 'otlp_metrics', '-p', '2', '-X', 'acks=all'], { input: `${lines.join('\n')}\n` });
    expect(produced.code, produced.stderr.toString()).toBe(0);
    const consume = () =>
      run('kcat', ['-b', g.bootstrap, '-C', '-t', 'otlp_metrics', '-p', '2', '-o', 'beginning', '-e', '-q', '-X', 'fetch.message.max.bytes=262144']);
    const consumers = await Promise.all([consume(), consume(), consume()]);
    for (const consumed of consumers) {
      expect(consumed.code, consumed.stderr.toString()).toBe(0);
      expect(consumed.stdout.toString().split('\n').filter((v) => v.startsWith('big-'))).toEqual(lines);
    }
  });

  it('produces with acks=-1 records that `tributary tail` reads back, at the versions librdkafka picks', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `order-${i}`);
    const produced = await run('kcat', ['-b', g.bootstrap, '-P', '-t', 'events_in', '-p', '0', '-k', 'k', '-X', 'acks=all', '-X', 'debug=protocol'], {
      input: `${lines.join('\n')}\n`,
    });
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stderr).toMatch(/Sent ApiVersionRequest \(v3/);
    expect(produced.stderr).toMatch(/Received ProduceResponse \(v7/);

    const tail = await tributary(['tail', 'events_in', '--partition', '0', '--from-beginning', '--once', '--json', '--admin', g.adminUrl]);
    expect(tail.code, tail.stderr).toBe(0);
    const records = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const values = records.map((r: { value: string }) => Buffer.from(r.value, 'base64').toString());
    expect(values.slice(-50)).toEqual(lines);

    const metrics = await (await fetch(`${g.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/tributary_kafka_requests_total\{api="Produce",version="7"\} [1-9]/);
    expect(metrics).toMatch(/tributary_kafka_received_bytes_total [1-9]/);
    expect(metrics).toMatch(/tributary_kafka_sent_bytes_total [1-9]/);
  });

  it.each(CODEC_NAMES.slice(1).map((name, i) => ({ name, codec: i + 1 })))(
    'produces $name-compressed batches that `tributary tail` and kcat read back',
    async ({ name, codec }) => {
    const lines = Array.from({ length: 200 }, (_, i) => `${name}-${i}-${'x'.repeat(i % 50)}`);
    const partition = String(codec % 3);
    const produced = await run('kcat', ['-b', g.bootstrap, '-P', '-t', 'otlp_events', '-p', partition, '-z', name, '-X', 'acks=all'], { input: `${lines.join('\n')}\n` });
    expect(produced.code, produced.stderr).toBe(0);
    // Stored as the client compressed it.
    expect(await storedCodecs(g, 'otlp_events', Number(partition))).toContain(codec);
    const tail = await tributary(['tail', 'otlp_events', '--partition', partition, '--from-beginning', '--once', '--json', '--admin', g.adminUrl]);
    expect(tail.code, tail.stderr).toBe(0);
    const values = tail.stdout
      .trim()
      .split('\n')
      .map((l) => Buffer.from(JSON.parse(l).value, 'base64').toString())
      .filter((v) => v.startsWith(`${name}-`));
    expect(values).toEqual(lines);
    const consumed = await run('kcat', ['-b', g.bootstrap, '-C', '-t', 'otlp_events', '-p', partition, '-o', 'beginning', '-e', '-q']);
    expect(consumed.stdout.toString().split('\n').filter((v) => v.startsWith(`${name}-`))).toEqual(lines);
    },
  );

  it.each(CODEC_NAMES.slice(1))('a sink worker exports the spans of %s-compressed batches kcat produced', async (name) => {
    // Each file is one record: an OTLP/protobuf trace export, as the receiver writes them.
    const spans = makeSpans({ service: `kcat-${name}`, traces: 6, spansPerTrace: 4 });
    const files = [0, 1, 2].map((i) => {
      const file = join(dir, `${name}-${i}.pb`);
      writeFileSync(file, ProtobufTraceSerializer.serializeRequest(spans.slice(i * 8, i * 8 + 8))!);
      return file;
    });
    const produced = await run('kcat', ['-b', g.bootstrap, '-P', '-t', 'otlp_spans', '-p', '1', '-z', name, '-H', 'content-type=application/x-protobuf', ...files]);
    expect(produced.code, produced.stderr).toBe(0);
    expect(await storedCodecs(g, 'otlp_spans', 1)).toContain(CODEC_NAMES.indexOf(name));
    const ids = spans.map((s) => s.spanContext().spanId);
    await eventually(`the file sink exports the ${name} spans`, () => {
      const text = readFileSync(exported, { encoding: 'utf8', flag: 'a+' });
      return ids.every((id) => text.includes(id));
    });
  });

  it('gives an idempotent producer a producer id, and stores its batches', async () => {
    const produced = await run('kcat', ['-b', g.bootstrap, '-P', '-t', 'events_in', '-p', '1', '-X', 'enable.idempotence=true', '-X', 'debug=protocol'], {
      input: 'idem-1\nidem-2\nidem-3\n',
    });
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stderr).toMatch(/Received InitProducerIdResponse \(v4/);
    const consumed = await run('kcat', ['-b', g.bootstrap, '-C', '-t', 'events_in', '-p', '1', '-o', 'beginning', '-e', '-q']);
    expect(consumed.stdout.toString().split('\n').filter((v) => v.startsWith('idem-'))).toEqual(['idem-1', 'idem-2', 'idem-3']);
  });

  it('stores an idempotent producer\'s pipelined megabyte batches byte for byte, two producers at once', async () => {
    // Each Produce frame's memory serves a later frame once the request is handled: bytes reused
    // before their batch reached the log would show here as wrong records or a refused batch.
    const produce = (partition: string, tag: string) => {
      const lines = Array.from({ length: 4000 }, (_, i) => `${tag}-${i}-`.padEnd(1000, String.fromCharCode(97 + (i % 26))));
      const args = ['-b', g.bootstrap, '-P', '-t', 'otlp_metrics', '-p', partition, '-X', 'enable.idempotence=true', '-X', 'linger.ms=20'];
      return { lines, produced: run('kcat', args, { input: `${lines.join('\n')}\n` }) };
    };
    const producers = [produce('1', 'idem-a'), produce('2', 'idem-b')];
    for (const [i, { lines, produced }] of producers.entries()) {
      const done = await produced;
      expect(done.code, done.stderr.toString()).toBe(0);
      const consumed = await run('kcat', ['-b', g.bootstrap, '-C', '-t', 'otlp_metrics', '-p', String(1 + i), '-o', 'beginning', '-e', '-q']);
      expect(consumed.stdout.toString().split('\n').filter((v) => v.startsWith('idem-'))).toEqual(lines);
    }
  });

  it('answers a fetch past the end with OFFSET_OUT_OF_RANGE that librdkafka reads, so auto.offset.reset applies', async () => {
    // The error partition must carry empty records, not null ones: librdkafka 2.0 fails to parse
    // a null record set and fetches again at once, forever, never seeing the error.
    expect((await run('kcat', ['-b', g.bootstrap, '-P', '-t', 'otlp_metrics', '-p', '0'], { input: 'range-a\nrange-b\n' })).code).toBe(0);
    const reset = await run('kcat', ['-b', g.bootstrap, '-C', '-t', 'otlp_metrics', '-p', '0', '-o', '1000', '-e', '-X', 'auto.offset.reset=earliest'], { timeoutMs: 20_000 });
    expect(/PROTOERR|parse failure/.test(reset.stderr), 'librdkafka reported a protocol parse failure').toBe(false);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout.toString().trim().split('\n')).toEqual(['range-a', 'range-b']);
  });

  it('reports an unknown topic as an error, and leaves the connection usable', async () => {
    const missing = await run('kcat', ['-b', g.bootstrap, '-C', '-t', 'no_such_topic', '-p', '0', '-e', '-q', '-m', '5']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/Unknown topic or partition|UNKNOWN_TOPIC/i);
  });
});
