import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { Signal } from '../../src/otlp/signals.js';
import { silentLogger } from '../../src/telemetry/logger.js';

/** One OTLP/HTTP answer: status, content type and body as sent. */
export interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** A record as the admin API returns it, key and value decoded from base64. */
export interface ListedRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer;
  headers: { key: string; value: string }[];
}

export interface WholeGateway {
  gateway: Gateway;
  dataDir: string;
  adminUrl(path: string): string;
  /** POSTs an OTLP body to /v1/{signal}, as protobuf or JSON, gzip-compressed if asked. */
  post(signal: Signal, body: Uint8Array | string, options?: { json?: boolean; gzip?: boolean }): Promise<Answer>;
  /** GETs an admin API path and parses its JSON. */
  admin<T>(path: string): Promise<T>;
  /** Every record of `topic` (all partitions), read through the admin API. */
  records(topic: string): Promise<ListedRecord[]>;
  close(): Promise<void>;
}

export const TOPICS = ['otlp_spans', 'otlp_metrics', 'otlp_logs', 'otlp_events'] as const;

/**
 * A whole gateway from `createGateway`, as `tributary start` runs it: receiver and admin on free
 * ports, the embedded log in a temp dir, `overrides` merged into the config (its YAML shape).
 */
export async function startWholeGateway(overrides: { receiver?: Record<string, unknown>; pipelines?: (dataDir: string) => unknown[] } = {}): Promise<WholeGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-gateway-'));
  const config = configSchema.parse({
    receiver: { endpoint: '127.0.0.1:0', workers: 1, ...overrides.receiver },
    admin: { endpoint: '127.0.0.1:0' },
    kafka: { listener: '' },
    log: { data_dir: join(dataDir, 'log'), brokers: 1, fsync: 'never' },
    topics: Object.fromEntries(TOPICS.map((name) => [name, { partitions: 2 }])),
    pipelines: overrides.pipelines?.(dataDir) ?? [],
  });
  const gateway = createGateway(config, { logger: silentLogger });
  try {
    await gateway.start();
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const receiver = `http://127.0.0.1:${gateway.receiverAddress().port}`;
  const adminUrl = (path: string) => `http://127.0.0.1:${gateway.adminAddress().port}${path}`;
  const admin = async <T>(path: string): Promise<T> => {
    const res = await fetch(adminUrl(path));
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    gateway,
    dataDir,
    adminUrl,
    admin,
    async post(signal, body, options = {}) {
      const raw = typeof body === 'string' ? Buffer.from(body) : body;
      const headers: Record<string, string> = { 'content-type': options.json ? 'application/json' : 'application/x-protobuf' };
      if (options.gzip) headers['content-encoding'] = 'gzip';
      const res = await fetch(`${receiver}/v1/${signal}`, { method: 'POST', headers, body: options.gzip ? gzipSync(raw) : raw });
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
    },
    async records(topic) {
      const out: ListedRecord[] = [];
      const { partitions } = await admin<{ partitions: { partition: number; logStartOffset: number; highWatermark: number }[] }>(`/api/v1/topics/${topic}`);
      for (const { partition, logStartOffset, highWatermark } of partitions) {
        let offset = logStartOffset;
        while (offset < highWatermark) {
          const page = await admin<{ records: { offset: number; key: string | null; value: string; headers: ListedRecord['headers'] }[] }>(
            `/api/v1/topics/${topic}/records?partition=${partition}&offset=${offset}&limit=500`,
          );
          if (page.records.length === 0) break;
          for (const r of page.records) {
            out.push({ topic, partition, offset: r.offset, key: r.key === null ? null : Buffer.from(r.key, 'base64'), value: Buffer.from(r.value, 'base64'), headers: r.headers });
          }
          offset = page.records[page.records.length - 1].offset + 1;
        }
      }
      return out;
    },
    async close() {
      await gateway.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** partial_success of an Export*ServiceResponse in either encoding: rejected count and message. */
export function partialSuccess(answer: Answer): { rejected: number; message: string } {
  if (answer.contentType.includes('json')) {
    const json = JSON.parse(answer.body.toString()) as { partialSuccess?: Record<string, string> };
    const p = json.partialSuccess ?? {};
    const count = p.rejectedSpans ?? p.rejectedDataPoints ?? p.rejectedLogRecords ?? '0';
    return { rejected: Number(count), message: p.errorMessage ?? '' };
  }
  // Field 1 (partial_success) { 1: rejected (varint), 2: error_message (string) }.
  const fields = protoFields(answer.body);
  const inner = fields.get(1);
  if (!Buffer.isBuffer(inner)) return { rejected: 0, message: '' };
  const p = protoFields(inner);
  return { rejected: Number(p.get(1) ?? 0), message: (p.get(2) as Buffer | undefined)?.toString() ?? '' };
}

/** The message of a google.rpc.Status error body in either encoding. */
export function statusMessage(answer: Answer): string {
  if (answer.contentType.includes('json')) return (JSON.parse(answer.body.toString()) as { message: string }).message;
  return (protoFields(answer.body).get(2) as Buffer).toString();
}

/** The varint and length-delimited fields of a small protobuf message (last one wins). */
function protoFields(buf: Buffer): Map<number, number | Buffer> {
  const out = new Map<number, number | Buffer>();
  let pos = 0;
  const varint = () => {
    let value = 0;
    let factor = 1;
    for (;;) {
      const byte = buf[pos++];
      value += (byte & 0x7f) * factor;
      if (byte < 0x80) return value;
      factor *= 128;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    if ((tag & 7) === 0) out.set(tag >>> 3, varint());
    else {
      const length = varint();
      out.set(tag >>> 3, buf.subarray(pos, pos + length));
      pos += length;
    }
  }
  return out;
}
