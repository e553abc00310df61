// Runs in: the browser (the web console).
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from './api.js';
import type { GroupListing, Topic } from './types.js';

/** How often the console samples the API while it is open, and how much history it keeps (10 minutes). */
const SAMPLE_INTERVAL_MS = 3000;
const MAX_SAMPLES = 200;

interface Sample {
  /** Seconds since the epoch (uPlot's x axis). */
  t: number;
  /** Per topic, its partitions' high watermarks added up. */
  highWatermarks: Map<string, number>;
  /** Per group, its total lag. */
  lag: Map<string, number>;
}

/** Time series for a chart: shared x values (seconds) and one y series per name. */
export interface Series {
  times: number[];
  lines: Map<string, (number | null)[]>;
}

/**
 * Rates and lag over time, which the API does not keep: the console samples the high watermarks
 * and the groups' lag every few seconds and keeps a short history in the page (none on the server).
 * A sample is two requests however many topics and groups there are: the group listing carries
 * each group's lag.
 */
export class Sampler {
  private readonly samples: Sample[] = [];
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;

  constructor(private readonly api: ApiClient) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const loop = async () => {
      await this.sample();
      if (this.running) this.timer = setTimeout(loop, SAMPLE_INTERVAL_MS);
    };
    loop();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records per second for each topic, between consecutive samples. */
  topicRates(): Series {
    return this.derive((prev, next, name) => {
      const a = prev.highWatermarks.get(name);
      const b = next.highWatermarks.get(name);
      return a === undefined || b === undefined ? null : Math.max(0, (b - a) / (next.t - prev.t));
    }, (s) => s.highWatermarks.keys());
  }

  /** Each group's total lag at each sample. */
  groupLag(only?: string): Series {
    return this.derive((_prev, next, name) => next.lag.get(name) ?? null, (s) => [...s.lag.keys()].filter((g) => only === undefined || g === only));
  }

  /** The latest rate of a topic, if two samples have it. */
  latestRate(topic: string): number | undefined {
    const rates = this.topicRates().lines.get(topic);
    const last = rates?.[rates.length - 1];
    return last === null || last === undefined ? undefined : last;
  }

  private derive(value: (prev: Sample, next: Sample, name: string) => number | null, names: (s: Sample) => Iterable<string>): Series {
    const all = new Set<string>();
    for (const s of this.samples) for (const n of names(s)) all.add(n);
    const lines = new Map<string, (number | null)[]>([...all].sort().map((n) => [n, []]));
    const times: number[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      times.push(this.samples[i].t);
      for (const [name, line] of lines) line.push(value(this.samples[i - 1], this.samples[i], name));
    }
    return { times, lines };
  }

  private async sample(): Promise<void> {
    try {
      const [{ topics }, { groups }] = await Promise.all([
        this.api.get<{ topics: Topic[] }>('topics'),
        this.api.get<{ groups: GroupListing[] }>('groups'),
      ]);
      const highWatermarks = new Map(topics.map((t) => [t.name, t.partitions.reduce((sum, p) => sum + p.highWatermark, 0)]));
      const lag = new Map(groups.map((g) => [g.group, g.totalLag]));
      this.samples.push({ t: Date.now() / 1000, highWatermarks, lag });
      if (this.samples.length > MAX_SAMPLES) this.samples.shift();
      for (const listener of this.listeners) listener();
    } catch {
      // The views show the API's errors; a missed sample is a gap in the charts.
    }
  }
}

/** Re-renders the calling view after each new sample. */
export function useSamples(sampler: Sampler): number {
  const [count, setCount] = useState(0);
  useEffect(() => sampler.subscribe(() => setCount((c) => c + 1)), [sampler]);
  return count;
}
