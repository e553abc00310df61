// Runs on: main thread of the benchmark process.
/**
 * What the machine charges for writing into the page cache, without the engine: `--gigabytes` of
 * 460 KB writes (a batch of 1000 records) spread over 6 files, as the log benchmark's brokers do,
 * with the CPU time of each step of `--step` MB. On a VM whose host takes back the memory the
 * guest frees or leaves idle, the CPU per step rises several times once the writes need such
 * pages; the log benchmark therefore deletes each run's segments (see bench/log-engine.ts).
 * Prints one JSON object on its last line.
 *
 *   node dist/bench/write-cost.js [--gigabytes 3] [--step 300] [--dir /tmp]
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    gigabytes: { type: 'string', default: '3' },
    step: { type: 'string', default: '300' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const total = Number(args.gigabytes) * 1e9;
const stepBytes = Number(args.step) * 1e6;
const chunk = Buffer.alloc(460_000, 0x61);
const dir = mkdtempSync(join(args.dir, 'tributary-write-cost-'));
const fds = Array.from({ length: 6 }, (_, i) => openSync(join(dir, `f${i}`), 'w'));

const steps: { gigabytes: number; cpuMs: number; wallMs: number }[] = [];
try {
  let written = 0;
  let nextStep = stepBytes;
  let cpu = process.cpuUsage();
  let wall = performance.now();
  while (written < total) {
    writeSync(fds[(written / chunk.length) % fds.length], chunk);
    written += chunk.length;
    if (written < nextStep) continue;
    const used = process.cpuUsage(cpu);
    const now = performance.now();
    steps.push({ gigabytes: Math.round(written / 1e8) / 10, cpuMs: Math.round((used.user + used.system) / 1000), wallMs: Math.round(now - wall) });
    console.log(steps[steps.length - 1]);
    nextStep += stepBytes;
    cpu = process.cpuUsage();
    wall = now;
  }
} finally {
  for (const fd of fds) closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ bench: 'write-cost', writeBytes: chunk.length, stepMB: Number(args.step), steps }));
