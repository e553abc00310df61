// Runs on: main thread of a benchmark process.
import { percentile, runConcurrently, timed } from './stats.js';
import { RedisClient } from './redis.js';
import { RespError, type RespValue } from './resp-parser.js';
import { processCpuMs } from './thread-cpu.js';

export interface StreamsWorkload {
  port: number;
  streams: number;
  records: number;
  perBatch: number;
  concurrency: number;
  value: Buffer;
  /** redis-server's pid: its CPU per batch is reported beside this client's (Linux only). */
  serverPid?: number;
}

/** CPU µs per batch of redis-server and of this client over one phase. */
type PhaseCpu = { server: number; client: number };

/**
 * Redis Streams as the baseline: each batch is `perBatch` XADDs written in one pipelined write,
 * with `concurrency` batches in flight; then one consumer group reads every stream back with
 * XREADGROUP COUNT perBatch until it is drained.
 */
export async function runRedisStreams(w: StreamsWorkload) {
  const client = await RedisClient.connect(w.port);
  try {
    const names = Array.from({ length: w.streams }, (_, i) => `bench-${w.perBatch}-${i}`);
    await client.command(['DEL', ...names]);
    const batches = Math.ceil(w.records / w.perBatch);
    const latencies = new Float64Array(batches);
    const appendCpu = cpuMeter(w.serverPid, batches);
    const appendSeconds = await timed(() =>
      runConcurrently(batches, w.concurrency, async (b) => {
        const encoded = encodeXadds(names[b % w.streams], w.value, w.perBatch);
        const start = performance.now();
        const replies = await client.pipeline(encoded, w.perBatch);
        latencies[b] = performance.now() - start;
        if (replies.some((r) => r instanceof RespError)) throw new Error(`XADD failed: ${String(replies.find((r) => r instanceof RespError))}`);
      }),
    );
    const appendCpuPerBatch = appendCpu();
    for (const name of names) await client.command(['XGROUP', 'CREATE', name, 'bench', '0']);
    let read = 0;
    const fetchCpu = cpuMeter(w.serverPid, batches);
    const fetchSeconds = await timed(async () => {
      await Promise.all(
        names.map(async (name) => {
          const args = ['XREADGROUP', 'GROUP', 'bench', 'c', 'COUNT', String(w.perBatch), 'STREAMS', name, '>'];
          for (;;) {
            const entries = streamEntries(await client.command(args));
            if (entries === 0) return;
            read += entries;
          }
        }),
      );
    });
    const fetchCpuPerBatch = fetchCpu();
    await client.command(['DEL', ...names]);
    if (read !== batches * w.perBatch) throw new Error(`read ${read} of ${batches * w.perBatch} entries back`);
    const cpuByProcess = appendCpuPerBatch && fetchCpuPerBatch ? { append: appendCpuPerBatch, fetch: fetchCpuPerBatch } : undefined;
    return { appendSeconds, fetchSeconds, records: batches * w.perBatch, latencies: latencyFigures(latencies), cpuByProcess };
  } finally {
    client.close();
  }
}

/**
 * Starts measuring a phase; the returned function gives its CPU µs per batch, or undefined where
 * the server's CPU cannot be read.
 */
function cpuMeter(serverPid: number | undefined, batches: number): () => PhaseCpu | undefined {
  const server = serverPid === undefined ? undefined : processCpuMs(serverPid);
  const client = process.cpuUsage();
  return () => {
    const serverAfter = serverPid === undefined ? undefined : processCpuMs(serverPid);
    if (server === undefined || serverAfter === undefined) return undefined;
    const used = process.cpuUsage(client);
    return { server: Math.round(((serverAfter - server) * 1000) / batches), client: Math.round((used.user + used.system) / batches) };
  };
}

export function latencyFigures(latencies: Float64Array) {
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Entries in an XREADGROUP reply, touching each one's value as a consumer would. */
function streamEntries(reply: RespValue): number {
  if (reply === null) return 0;
  const [[, entries]] = reply as [string, [Buffer, Buffer[]][]][];
  let n = 0;
  for (const [, fields] of entries) if (fields[1].length > 0) n++;
  return n;
}

/** `count` times XADD <stream> * v <value>, encoded back to back in one buffer. */
function encodeXadds(stream: string, value: Buffer, count: number): Buffer {
  const prefix = Buffer.from(`*5\r\n$4\r\nXADD\r\n$${stream.length}\r\n${stream}\r\n$1\r\n*\r\n$1\r\nv\r\n$${value.length}\r\n`);
  const one = prefix.length + value.length + 2;
  const buf = Buffer.allocUnsafe(one * count);
  for (let i = 0, pos = 0; i < count; i++, pos += one) {
    prefix.copy(buf, pos);
    value.copy(buf, pos + prefix.length);
    buf[pos + one - 2] = 13;
    buf[pos + one - 1] = 10;
  }
  return buf;
}
