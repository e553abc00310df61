// Runs on: main thread of the benchmark process; the gateway it measures runs its own threads.
/**
 * Delivery at ingest speed (targets, BENCHMARKS.md "Against the targets": delivered ≥ 0.9 × accepted at full
 * load; a running pipeline costs ingest at most 20 %).
 *
 * For each request shape (bench/delivery-load.ts: 512 spans in 64 traces, 512 single-span
 * traces, 512 metric data points from 8 resources), `tributary start` runs in a child process
 * (brokers 3, 6 partitions a topic, fsync interval) three times: with no pipeline; with one
 * pipeline to a do-nothing destination in this process (otlphttp for traces,
 * prometheusremotewrite for metrics); with the default config's debug pipeline. A load generator
 * (a child process) keeps --concurrency requests in flight for --warmup + --seconds; after the
 * warm-up the bench notes the gateway's CPU (all its threads, /proc), the pipeline's delivered
 * items (`tributary_sink_items_total`) and its lag every 2 s; after the load it waits for lag 0.
 *
 * Per phase: items accepted/s, items delivered/s during the load and their ratio, accepted
 * against the same shape with no pipeline, lag at the start and the end of the load and its
 * growth per second over the second half, the drain time and rate (what the pipeline delivers
 * with the cores to itself), and the gateway's CPU per item accepted (µs, load and drain
 * together). With --repeat N, each shape runs its pipelines N times, alternating (none, sink,
 * debug, none, …): a pipeline's accepted ÷ none is taken against its own repeat's baseline, and
 * the summary gives each figure's mean over the repeats (the runs are in `phases`). Prints one
 * JSON object on its last line.
 *
 *   npm run bench:delivery -- [--seconds 60] [--warmup 5] [--concurrency 16] [--shapes traces-64x8,traces-512x1,metrics] [--pipelines none,sink,debug] [--repeat 1] [--dir /tmp]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DeliveryLoad, DeliveryLoadResult, Shape } from './delivery-load.js';
import { startGatewayProcess } from './lib/gateway-process.js';
import { round } from './lib/stats.js';
import { processCpuMs } from './lib/thread-cpu.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
    shapes: { type: 'string', default: 'traces-64x8,traces-512x1,metrics' },
    pipelines: { type: 'string', default: 'none,sink,debug' },
    repeat: { type: 'string', default: '1' },
    'drain-timeout': { type: 'string', default: '600' },
    dir: { type: 'string', default: tmpdir() },
  },
});

type PipelineKind = 'none' | 'sink' | 'debug';

const fromSource = import.meta.filename.endsWith('.ts');
const loadgen: ChildProcess = fork(join(import.meta.dirname, fromSource ? 'delivery-load.ts' : 'delivery-load.js'), {
  execArgv: fromSource ? ['--import', 'tsx'] : [],
});
const loadgenReady = new Promise<void>((resolve) => loadgen.once('message', () => resolve()));

/** The do-nothing destination: reads each request whole and answers 200 with an empty body. */
const destination = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
await new Promise<void>((resolve) => destination.listen(0, '127.0.0.1', resolve));
const destinationUrl = `http://127.0.0.1:${(destination.address() as AddressInfo).port}`;

/** The config of a phase beside the receiver and admin blocks, and the pipeline's group (if any). */
function configOf(dataDir: string, shape: Shape, kind: PipelineKind): { body: string; group?: string } {
  const base = `log: { data_dir: ${dataDir}, brokers: 3, fsync: interval }\n`;
  if (kind === 'none') return { body: base };
  if (kind === 'debug') {
    // The default config's pipeline (config/tributary.yaml).
    return { body: `${base}pipelines:\n  - { group: debug, topics: [otlp_spans, otlp_metrics, otlp_logs, otlp_events], sink: { type: debug } }\n`, group: 'debug' };
  }
  const sink =
    shape === 'metrics'
      ? `{ group: prometheus, topics: [otlp_metrics], sink: { type: prometheusremotewrite, endpoint: "${destinationUrl}/api/v1/write" } }`
      : `{ group: otlp, topics: [otlp_spans], sink: { type: otlphttp, endpoint: "${destinationUrl}" } }`;
  return { body: `${base}pipelines:\n  - ${sink}\n`, group: shape === 'metrics' ? 'prometheus' : 'otlp' };
}

async function sinkItems(adminPort: number, group: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`tributary_sink_items_total{pipeline="${group}"}`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function lagOf(adminPort: number, group: string): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/api/v1/groups/${group}`);
  if (!res.ok) return undefined;
  return ((await res.json()) as { totalLag: number }).totalLag;
}

interface Phase {
  shape: Shape;
  pipeline: string;
  acceptedItemsPerSec: number;
  statuses: Record<string, number>;
  cpuUsPerItem?: number;
  deliveredItemsPerSec?: number;
  deliveredToAccepted?: number;
  lag?: { atStart: number; atEnd: number; max: number; growthPerSec: number };
  drainSeconds?: number;
  drainItemsPerSec?: number;
}

async function phase(shape: Shape, kind: PipelineKind): Promise<Phase> {
  const dataDir = mkdtempSync(join(args.dir, 'tributary-bench-delivery-'));
  const { body, group } = configOf(dataDir, shape, kind);
  const gateway = await startGatewayProcess(dataDir, body);
  const pid = gateway.child.pid!;
  try {
    const seconds = Number(args.seconds);
    const load: DeliveryLoad = { port: gateway.receiverPort, shape, concurrency: Number(args.concurrency), warmupSeconds: Number(args.warmup), seconds };
    const lags: [number, number][] = [];
    let sampler: NodeJS.Timeout | undefined;
    let start = { at: 0, cpu: 0, items: 0 };
    const result = await new Promise<DeliveryLoadResult>((resolve) => {
      const onMessage = (message: unknown) => {
        if (message === 'warm') {
          void (async () => {
            start = { at: performance.now(), cpu: processCpuMs(pid) ?? 0, items: group ? await sinkItems(gateway.adminPort, group) : 0 };
            if (group) {
              sampler = setInterval(async () => {
                const lag = await lagOf(gateway.adminPort, group).catch(() => undefined);
                if (lag !== undefined) lags.push([performance.now(), lag]);
              }, 2_000);
            }
          })();
          return;
        }
        loadgen.off('message', onMessage);
        resolve(message as DeliveryLoadResult);
      };
      loadgen.on('message', onMessage);
      loadgen.send(load);
    });
    clearInterval(sampler);
    const endAt = performance.now();
    const loadCpu = processCpuMs(pid) ?? 0;
    const figures: Phase = {
      shape,
      pipeline: kind === 'none' ? 'none' : kind === 'debug' ? 'debug (default config)' : shape === 'metrics' ? 'prometheusremotewrite' : 'otlphttp',
      acceptedItemsPerSec: Math.round(result.items / result.seconds),
      statuses: result.statuses,
      cpuUsPerItem: round(((loadCpu - start.cpu) * 1000) / result.items, 2),
    };
    if (!group) return figures;
    const endItems = await sinkItems(gateway.adminPort, group);
    const endLag = (await lagOf(gateway.adminPort, group)) ?? 0;
    lags.push([endAt, endLag]);
    const deadline = Date.now() + Number(args['drain-timeout']) * 1000;
    while (((await lagOf(gateway.adminPort, group)) ?? 1) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const drainedAt = performance.now();
    const drainCpu = processCpuMs(pid) ?? 0;
    const drainedItems = (await sinkItems(gateway.adminPort, group)) - endItems;
    const half = lags.filter(([at]) => at >= start.at + ((endAt - start.at) * 1) / 2);
    const growth = half.length >= 2 ? (half[half.length - 1][1] - half[0][1]) / ((half[half.length - 1][0] - half[0][0]) / 1000) : 0;
    const delivered = (endItems - start.items) / ((endAt - start.at) / 1000);
    return {
      ...figures,
      cpuUsPerItem: round(((drainCpu - start.cpu) * 1000) / result.items, 2),
      deliveredItemsPerSec: Math.round(delivered),
      deliveredToAccepted: round(delivered / figures.acceptedItemsPerSec, 3),
      lag: { atStart: lags[0]?.[1] ?? 0, atEnd: endLag, max: Math.max(...lags.map(([, l]) => l)), growthPerSec: Math.round(growth) },
      drainSeconds: round((drainedAt - endAt) / 1000, 1),
      // What the pipeline delivers once it has the cores to itself.
      drainItemsPerSec: drainedAt > endAt ? Math.round(drainedItems / ((drainedAt - endAt) / 1000)) : undefined,
    };
  } finally {
    await gateway.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Phases of one shape and pipeline over the repeats: the figures' means, ratios from each repeat's own baseline. */
function meanOf(runs: (Phase & { acceptedToNoPipeline?: number })[]): Phase & { acceptedToNoPipeline?: number; runs: number } {
  const mean = (pick: (p: (typeof runs)[number]) => number | undefined, digits: number): number | undefined => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined);
    return values.length > 0 ? round(values.reduce((a, b) => a + b, 0) / values.length, digits) : undefined;
  };
  const last = runs[runs.length - 1];
  return {
    ...last,
    runs: runs.length,
    acceptedItemsPerSec: mean((p) => p.acceptedItemsPerSec, 0)!,
    cpuUsPerItem: mean((p) => p.cpuUsPerItem, 2),
    deliveredItemsPerSec: mean((p) => p.deliveredItemsPerSec, 0),
    deliveredToAccepted: mean((p) => p.deliveredToAccepted, 3),
    acceptedToNoPipeline: mean((p) => p.acceptedToNoPipeline, 3),
    lag: last.lag && { ...last.lag, atEnd: mean((p) => p.lag?.atEnd, 0)!, growthPerSec: mean((p) => p.lag?.growthPerSec, 0)! },
    drainSeconds: mean((p) => p.drainSeconds, 1),
    drainItemsPerSec: mean((p) => p.drainItemsPerSec, 0),
  };
}

async function main() {
  await loadgenReady;
  const phases: Phase[] = [];
  const means: ReturnType<typeof meanOf>[] = [];
  const kinds = args.pipelines.split(',') as PipelineKind[];
  for (const shape of args.shapes.split(',') as Shape[]) {
    const byKind = new Map<PipelineKind, (Phase & { acceptedToNoPipeline?: number })[]>(kinds.map((k) => [k, []]));
    // Repeats alternate the pipelines (none, sink, debug, none, …): each is compared with its own repeat's baseline.
    for (let r = 0; r < Number(args.repeat); r++) {
      let noPipeline: number | undefined;
      for (const kind of kinds) {
        const p = await phase(shape, kind);
        if (kind === 'none') noPipeline = p.acceptedItemsPerSec;
        const withRatio = noPipeline && kind !== 'none' ? { acceptedToNoPipeline: round(p.acceptedItemsPerSec / noPipeline, 3) } : {};
        const full = { ...p, ...withRatio };
        phases.push(full);
        byKind.get(kind)!.push(full);
        console.log(JSON.stringify(full));
      }
    }
    for (const runs of byKind.values()) means.push(meanOf(runs));
  }
  const rows = ['shape          pipeline                accepted/s  µs CPU/item  delivered/s  delivered÷accepted  accepted÷none  lag end  lag growth/s  drain s  drain items/s'];
  for (const p of means) {
    const cells = [
      p.shape.padEnd(14),
      p.pipeline.padEnd(22),
      String(p.acceptedItemsPerSec).padStart(10),
      String(p.cpuUsPerItem ?? '').padStart(12),
      String(p.deliveredItemsPerSec ?? '').padStart(12),
      String(p.deliveredToAccepted ?? '').padStart(19),
      String(p.acceptedToNoPipeline ?? '').padStart(14),
      String(p.lag?.atEnd ?? '').padStart(8),
      String(p.lag?.growthPerSec ?? '').padStart(13),
      String(p.drainSeconds ?? '').padStart(8),
      String(p.drainItemsPerSec ?? '').padStart(14),
    ];
    rows.push(cells.join(' '));
  }
  console.log(`\n${rows.join('\n')}`);
  loadgen.kill();
  destination.close();
  console.log(
    JSON.stringify({
      benchmark: 'delivery',
      seconds: Number(args.seconds),
      warmupSeconds: Number(args.warmup),
      concurrency: Number(args.concurrency),
      repeat: Number(args.repeat),
      phases,
      means,
      summary: rows,
    }),
  );
}

main().catch((err) => {
  console.error(err);
  loadgen.kill();
  process.exit(1);
});
