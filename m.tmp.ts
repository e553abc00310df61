import { runIngestJob } from './src/receiver/ingest-job.js';
function lenPrefixed(tag: number, content: Buffer) { const l: number[] = []; let n = content.length; while (n >= 0x80) { l.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); } l.push(n); return Buffer.concat([Buffer.from([tag, ...l]), content]); }
const N = 1_000_000;
for (const [signal, item] of [['traces', [0x12, 0x02, 0x08, 0x00]]] as const) {
  const items = Buffer.alloc(N * item.length);
  for (let i = 0; i < N; i++) items.set(item, i * item.length);
  const body = lenPrefixed(0x0a, lenPrefixed(0x12, items));
  for (let k = 0; k < 2; k++) {
    const t = performance.now();
    const r = runIngestJob({ signal, format: 'protobuf', encoding: 'identity', body, maxBytes: 1 << 26, partitions: { traces: 6, metrics: 6, logs: 6, events: 6 }, receivedAt: 0, maxBatchBytes: 1 << 24, maxWriteAmplification: 32, maxWriteBytes: 1 << 28 });
    console.log(signal, (performance.now() - t).toFixed(0), 'ms', r.rejected, r.rejectionMessage.length, r.rejectionMessage.slice(0, 200));
  }
}
