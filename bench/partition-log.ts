// Runs on: main thread of the benchmark process (partition storage runs on this thread, as on a broker thread).
/**
 * Partition storage alone (no threads, no network): append and read throughput of 460-byte
 * records in batches of 100 and 1000, append latency per batch, the cost of a flush with
 * nothing to sync, and how long a log of `--gib` GiB takes to open after a clean close and
 * after a crash. Prints one JSON object on its last line.
 *
 *   node --import tsx bench/partition-log.ts [--gib 1] [--dir /tmp]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeRecordBatch } from '../src/log/record-batch.js';
import { PartitionLog } from '../workers/broker/partition-log.js';
import type { PartitionLogOptions } from '../workers/broker/partition-log-types.js';

const { values: args } = parseArgs({ options: { gib: { type: 'string', default: '1' }, dir: { type: 'string', default: tmpdir() } } });
const RECORD_BYTES = 460;
const MiB = 1024 * 1024;

function options(dir: string): PartitionLogOptions {
  return { dir, segmentBytes: 128 * MiB, segmentMs: 7 * 86_400_000, indexIntervalBytes: 4096, maxBatchBytes: 16 * MiB };
}

function batchTemplate(records: number): Buffer {
  const value = Buffer.alloc(RECORD_BYTES, 0x61);
  return encodeRecordBatch(Array.from({ length: records }, () => ({ value })));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/** Appends `totalBytes` of batches of `perBatch` records, then reads them all back. */
function throughput(root: string, perBatch: number, totalBytes: number) {
  const dir = join(root, `throughput-${perBatch}`);
  const log = PartitionLog.open(options(dir));
  const template = batchTemplate(perBatch);
  const batches = Math.ceil(totalBytes / template.length);
  const latencies = new Float64Array(batches);
  const start = process.hrtime.bigint();
  for (let i = 0; i < batches; i++) {
    const t0 = process.hrtime.bigint();
    log.append(Buffer.from(template), 0);
    latencies[i] = Number(process.hrtime.bigint() - t0) / 1e3;
  }
  const appendSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  log.flush();

  const readStart = process.hrtime.bigint();
  let offset = 0;
  let bytesRead = 0;
  while (offset < log.highWatermark) {
    const { batches: buf } = log.read(offset, MiB);
    bytesRead += buf.length;
    // The next offset is one past the last batch's last offset.
    let pos = 0;
    let last = 0;
    while (pos < buf.length) {
      last = Number(buf.readBigInt64BE(pos)) + buf.readInt32BE(pos + 23);
      pos += 12 + buf.readInt32BE(pos + 8);
    }
    offset = last + 1;
  }
  const readSeconds = Number(process.hrtime.bigint() - readStart) / 1e9;
  const records = log.highWatermark;
  log.close();
  rmSync(dir, { recursive: true, force: true });
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    recordsPerBatch: perBatch,
    records,
    appendRecordsPerSec: Math.round(records / appendSeconds),
    appendMiBPerSec: Math.round((batches * template.length) / MiB / appendSeconds),
    appendLatencyUs: { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)) },
    readRecordsPerSec: Math.round(records / readSeconds),
    readMiBPerSec: Math.round(bytesRead / MiB / readSeconds),
  };
}

function cleanFlushNs(root: string): number {
  const log = PartitionLog.open(options(join(root, 'flush')));
  log.append(batchTemplate(1), 0);
  log.flush();
  const n = 1_000_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) log.flush();
  const ns = Number(process.hrtime.bigint() - start) / n;
  log.close();
  return Math.round(ns);
}

/** Opens a log of `gib` GiB after a clean close, then after a stop without close whose last
 *  16 MiB were never flushed (recovery validates them). */
function reopen(root: string, gib: number) {
  const dir = join(root, 'reopen');
  const log = PartitionLog.open(options(dir));
  const template = batchTemplate(1000);
  const total = gib * 1024 * MiB;
  while (log.sizeBytes < total - 16 * MiB) log.append(Buffer.from(template), 0);
  log.close();

  let t0 = process.hrtime.bigint();
  const clean = PartitionLog.open(options(dir));
  const cleanOpenMs = Number(process.hrtime.bigint() - t0) / 1e6;
  while (clean.sizeBytes < total) clean.append(Buffer.from(template), 0);
  const sizeBytes = clean.sizeBytes;
  // No close: the process "dies" here, its last 16 MiB unflushed.

  t0 = process.hrtime.bigint();
  const recovered = PartitionLog.open(options(dir));
  const uncleanOpenMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const { batchesChecked, truncatedBytes } = recovered.recovery;
  recovered.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    sizeBytes,
    cleanOpenMs: Math.round(cleanOpenMs * 10) / 10,
    uncleanOpenMs: Math.round(uncleanOpenMs * 10) / 10,
    batchesChecked,
    truncatedBytes,
  };
}

const root = mkdtempSync(join(args.dir, 'tributary-bench-'));
try {
  const result = {
    benchmark: 'partition-log',
    recordBytes: RECORD_BYTES,
    batches100: throughput(root, 100, 256 * MiB),
    batches1000: throughput(root, 1000, 256 * MiB),
    cleanFlushNs: cleanFlushNs(root),
    reopen: reopen(root, Number(args.gib)),
  };
  console.log(JSON.stringify(result));
} finally {
  rmSync(root, { recursive: true, force: true });
}
