/**
 * Runs on: main thread.
 *
 * Which sink worker runs which pipeline members: members are dealt to the workers in turn, so
 * the pipelines' work spreads over the threads (`members` is how a pipeline uses several). The
 * members of a sink that must be one instance (one writer per file) stay together on one worker.
 */
import { availableParallelism } from 'node:os';
import type { PipelineConfig } from '../../config/schema.js';
import type { HostedPipeline, MemberSettings } from './sink-worker-protocol.js';

/** Half the cores, between 1 and 8: ingest (receiver pool, brokers) needs the rest. */
export function defaultSinkWorkers(cores = availableParallelism()): number {
  return Math.max(1, Math.min(8, Math.floor(cores / 2)));
}

/**
 * The pipelines each worker hosts, one list per worker that has any (never more workers than
 * members). `settingsOf` gives member `m` of a pipeline its consumer settings.
 */
export function placeMembers(
  pipelines: readonly PipelineConfig[],
  workers: number,
  oneInstance: (config: PipelineConfig) => boolean,
  settingsOf: (config: PipelineConfig, member: number) => MemberSettings,
): HostedPipeline[][] {
  const slots: Map<number, HostedPipeline>[] = Array.from({ length: workers }, () => new Map());
  let next = 0;
  pipelines.forEach((config, index) => {
    const together = oneInstance(config) ? next++ % workers : undefined;
    for (let m = 0; m < config.members; m++) {
      const worker = together ?? next++ % workers;
      const hosted = slots[worker].get(index) ?? { index, config, members: [] };
      slots[worker].set(index, hosted);
      hosted.members.push(settingsOf(config, m));
    }
  });
  return slots.map((slot) => [...slot.values()]).filter((hosted) => hosted.length > 0);
}
