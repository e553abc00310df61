/**
 * Runs on: main thread.
 *
 * Every pipeline of the process as the pipelines API shows it: those of the config file
 * (read-only here) and the subscriptions teams create at run time, which are checked as a config
 * pipeline is, stored in the data directory, restored at start, paused, resumed and deleted.
 * Changes are made one at a time, so two requests never race for one group.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { deadLetterTopicOf, problemsAcrossKeys } from '../config/across-keys.js';
import { fileSinkPathProblems, outsideFileDir } from '../config/file-sink-paths.js';
import { keyPath } from '../config/issues.js';
import type { PipelineConfig, TributaryConfig } from '../config/schema.js';
import { asTributaryError, TributaryError } from '../errors.js';
import type { LogBackend } from '../log/backend.js';
import { backoffDelay } from '../retry/backoff.js';
import type { Pipelines } from '../sinks/runtime/pipelines.js';
import type { Logger } from '../telemetry/logger.js';
import { redactSecrets } from './redact.js';
import { fieldError, parseSubscriptionRequest, resetTargetOf, type SubscriptionRequest } from './subscription-request.js';
import { type StoredSubscription, SubscriptionStore } from './subscription-store.js';

export type PipelineState = 'running' | 'paused' | 'failed';

/** A pipeline as `GET /api/v1/pipelines` shows it: its settings (secrets redacted), where it came from, its state and lag. */
export type PipelineView = Partial<Omit<PipelineConfig, 'sink'>> & {
  group: string;
  sink?: unknown;
  start?: unknown;
  source: 'config' | 'api';
  state: PipelineState;
  /** Why a `failed` pipeline does not run. */
  error?: string;
  /** Records its group has yet to read, over all partitions; null before it committed anything. */
  lag: number | null;
  createdAt?: string;
};

interface Entry {
  group: string;
  source: 'config' | 'api';
  /** Undefined for a stored subscription that no longer passes the checks. */
  pipeline: PipelineConfig | undefined;
  stored?: StoredSubscription;
  state: PipelineState;
  error?: string;
}

export interface SubscriptionsOptions {
  config: TributaryConfig;
  /** The running pipelines; undefined in a process that runs none (`--role ingest`). */
  pipelines: Pipelines | undefined;
  backend: LogBackend;
  logger: Logger;
}

/** How long deleting a group's offsets waits for its last members to be gone (Kafka settles after they leave). */
const GROUP_SETTLE = { initial_interval: 100, max_interval: 1_000, max_elapsed_time: 10_000 };

export class Subscriptions {
  private readonly entries = new Map<string, Entry>();
  /** Stored subscriptions whose group a config pipeline took since: not run, but kept in the file until that is sorted out. */
  private readonly shadowed: StoredSubscription[] = [];
  private readonly store: SubscriptionStore;
  private readonly logger: Logger;
  private changes: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SubscriptionsOptions) {
    this.store = new SubscriptionStore(options.config.log.data_dir);
    this.logger = options.logger.child('subscriptions');
    if (options.pipelines) {
      for (const pipeline of options.config.pipelines) this.entries.set(pipeline.group, { group: pipeline.group, source: 'config', pipeline, state: 'running' });
    }
  }

  /** Restores the stored subscriptions (after the config's pipelines started); one that cannot run is shown as failed, and the start goes on. */
  async start(): Promise<void> {
    const { pipelines } = this.options;
    if (!pipelines) return;
    for (const stored of this.store.load()) {
      const entry = this.restored(stored);
      if (this.entries.has(entry.group)) {
        this.logger.error('a stored subscription has the group of a config pipeline: it is not run; rename one of them', { pipeline: entry.group, file: this.store.path });
        this.shadowed.push(stored);
        continue;
      }
      this.entries.set(entry.group, entry);
      if (entry.state !== 'running' || !entry.pipeline) continue;
      try {
        await pipelines.add({ config: entry.pipeline, path: '' });
      } catch (err) {
        this.fail(entry, err);
      }
    }
  }

  list(): Promise<PipelineView[]> {
    return Promise.all([...this.entries.values()].map((e) => this.view(e)));
  }

  /**
   * Runs `use` with every pipeline's view while no subscription is created, resumed or deleted: a
   * topic deletion checks its users and deletes in there, so a subscription made in between can
   * neither be missed by the check nor come to read a topic deleted under it.
   */
  whileUnchanged<T>(use: (views: PipelineView[]) => Promise<T>): Promise<T> {
    return this.serially(async () => use(await this.list()));
  }

  get(group: string): Promise<PipelineView> {
    return this.view(this.entry(group));
  }

  create(body: unknown): Promise<PipelineView> {
    return this.serially(async () => {
      const pipelines = this.runningHere();
      const request = parseSubscriptionRequest(body);
      const { pipeline, start } = request;
      const existing = this.entries.get(pipeline.group);
      if (existing) {
        throw new TributaryError('PIPELINE_EXISTS', `a pipeline of group "${pipeline.group}" exists already (from ${existing.source === 'config' ? 'the config file' : 'the API'})`, {
          details: { field: 'group' },
        });
      }
      const limit = this.options.config.sinks.max_subscriptions;
      const count = [...this.entries.values()].filter((e) => e.source === 'api').length + this.shadowed.length;
      if (count >= limit) {
        throw new TributaryError('PIPELINE_LIMIT', `${count} subscriptions exist, as many as sinks.max_subscriptions (${limit}) allows: delete one first`);
      }
      await this.check(request);
      if (start !== undefined) await this.options.backend.resetOffsets(pipeline.group, resetTargetOf(start), pipeline.topics);
      const entry: Entry = {
        group: pipeline.group,
        source: 'api',
        pipeline,
        state: 'running',
        stored: { pipeline: request.given, ...(start === undefined ? {} : { start }), paused: false, createdAt: new Date().toISOString() },
      };
      this.entries.set(entry.group, entry);
      try {
        // Stored first: a crash from here on restores it.
        this.save();
        await pipelines.add({ config: pipeline, path: '' });
      } catch (err) {
        this.entries.delete(entry.group);
        try {
          this.save();
        } catch (saveErr) {
          // The next start restores it, as failed if its sink still cannot start; deleting it then forgets it.
          this.logger.error('could not forget a subscription that did not start', { pipeline: entry.group, error: asTributaryError(saveErr) });
        }
        throw err;
      }
      this.logger.info('subscription created', { pipeline: entry.group, sink: pipeline.sink.type, topics: pipeline.topics, start });
      return this.view(entry);
    });
  }

  /** Stops its members (they deliver and commit what they hold), forgets it; with `deleteOffsets`, its group's offsets too. */
  delete(group: string, deleteOffsets: boolean): Promise<{ group: string; offsets: 'deleted' | 'kept' }> {
    return this.serially(async () => {
      const entry = this.changeable(group);
      if (entry.state === 'running') await this.stopRunning(group);
      this.entries.delete(group);
      this.save();
      await this.forgetMetrics(group);
      if (deleteOffsets) await this.deleteGroup(group);
      this.logger.info('subscription deleted', { pipeline: group, offsets: deleteOffsets ? 'deleted' : 'kept' });
      return { group, offsets: deleteOffsets ? 'deleted' : 'kept' };
    });
  }

  /** Its members deliver and commit what they hold and leave: the group keeps its offsets, and its lag grows until it resumes. */
  pause(group: string): Promise<PipelineView> {
    return this.serially(async () => {
      const entry = this.changeable(group);
      if (entry.state === 'running') await this.stopRunning(group);
      entry.state = 'paused';
      entry.error = undefined;
      this.save();
      return this.view(entry);
    });
  }

  /** Runs it again from its committed offsets; a failed one is tried again. */
  resume(group: string): Promise<PipelineView> {
    return this.serially(async () => {
      const entry = this.changeable(group);
      if (entry.state === 'running') return this.view(entry);
      if (!entry.pipeline && entry.stored) {
        const again = this.restored(entry.stored);
        if (!again.pipeline) throw new TributaryError('INVALID_REQUEST', `pipeline ${group} cannot run: ${again.error}; delete it and create it again`);
        entry.pipeline = again.pipeline;
      }
      const pipeline = entry.pipeline as PipelineConfig;
      try {
        await this.runningHere().add({ config: pipeline, path: '' });
      } catch (err) {
        this.fail(entry, err);
        throw err;
      }
      entry.state = 'running';
      entry.error = undefined;
      this.save();
      return this.view(entry);
    });
  }

  /**
   * Stops its members. The pool forgets the pipeline even when a member fails to stop cleanly
   * (its thread died meanwhile, say): uncommitted records are then read again by the next owner.
   */
  private async stopRunning(group: string): Promise<void> {
    try {
      await this.runningHere().remove(group);
    } catch (err) {
      this.logger.warn('a member of the pipeline did not stop cleanly; what it had not committed will be delivered again', { pipeline: group, error: asTributaryError(err) });
    }
  }

  /** A file sink writes neither in the log's directory nor, when `sinks.file_dir` is set, outside it. */
  private checkFilePath(pipeline: PipelineConfig): void {
    const { log, sinks } = this.options.config;
    const [inDataDir] = fileSinkPathProblems(log.data_dir, [pipeline]);
    const problem = inDataDir?.message ?? outsideFileDir(sinks.file_dir, pipeline.sink);
    if (problem) throw fieldError('sink.path', problem);
  }

  /** Its series leave /metrics; a failure (a thread that died meanwhile) does not undo the deletion. */
  private async forgetMetrics(group: string): Promise<void> {
    try {
      await this.runningHere().forget(group);
    } catch (err) {
      this.logger.warn('the metrics of a deleted pipeline could not all be dropped; they stay on /metrics until the next start', {
        pipeline: group,
        error: asTributaryError(err),
      });
    }
  }

  /** A stored subscription, checked again; one that no longer passes is `failed`, with the reason. */
  private restored(stored: StoredSubscription): Entry {
    const group = typeof stored.pipeline?.group === 'string' ? stored.pipeline.group : '(no group)';
    const state: PipelineState = stored.paused === true ? 'paused' : 'running';
    try {
      const { pipeline } = parseSubscriptionRequest(stored.pipeline);
      this.options.pipelines?.check({ config: pipeline, path: '' });
      this.checkFilePath(pipeline);
      return { group, source: 'api', pipeline, stored, state };
    } catch (err) {
      const error = asTributaryError(err).message;
      this.logger.error('a stored subscription no longer passes its checks: it is not run', { pipeline: group, error });
      return { group, source: 'api', pipeline: undefined, stored, state: 'failed', error };
    }
  }

  /** What a config pipeline must pass too: its sink's settings, the checks across pipelines; and here, that its topics exist and no one else is in its group. */
  private async check({ pipeline }: SubscriptionRequest): Promise<void> {
    try {
      this.runningHere().check({ config: pipeline, path: '' });
    } catch (err) {
      // The sink refuses its settings as a config error; in a request they are the request's fault.
      const e = asTributaryError(err);
      throw e.code === 'CONFIG_INVALID' ? new TributaryError('INVALID_REQUEST', e.message, { details: e.details, cause: e }) : e;
    }
    this.checkFilePath(pipeline);
    const others = [...this.entries.values()].flatMap((e) => (e.pipeline ? [e.pipeline] : []));
    const { receiver, admin, log, groups } = this.options.config;
    const before = new Set(problemsAcrossKeys({ receiver, admin, log, groups, pipelines: others }).map((p) => p.message));
    const index = others.length;
    const groupAt = (i: number) => (i === index ? pipeline.group : others[i]?.group);
    for (const problem of problemsAcrossKeys({ receiver, admin, log, groups, pipelines: [...others, pipeline] })) {
      if (before.has(problem.message)) continue;
      const message = problem.message.replace(/pipelines\[(\d+)\]/g, (_, i: string) => `pipeline "${groupAt(Number(i))}"`);
      const [top, at, ...rest] = problem.path;
      const field = top === 'pipelines' && at === index ? keyPath('', rest) : problem.path.join('.');
      throw fieldError(field, message);
    }
    for (const [i, topic] of pipeline.topics.entries()) {
      try {
        await this.options.backend.describeTopic(topic);
      } catch (err) {
        if (asTributaryError(err).code === 'UNKNOWN_TOPIC') throw fieldError(`topics[${i}]`, `topic "${topic}" does not exist`);
        throw err;
      }
    }
    const members = await this.membersOf(pipeline.group);
    if (members > 0) {
      throw new TributaryError('GROUP_NOT_EMPTY', `group "${pipeline.group}" has ${members} members (consumers outside Tributary's pipelines): choose another group`, {
        details: { field: 'group' },
      });
    }
  }

  private async membersOf(group: string): Promise<number> {
    try {
      return (await this.options.backend.describeGroup(group)).members.length;
    } catch (err) {
      // A group nobody joined yet; or a cluster that cannot describe groups (then Kafka refuses a foreign group's members by itself).
      if (['UNKNOWN_GROUP', 'UNSUPPORTED_BY_CLUSTER'].includes(asTributaryError(err).code)) return 0;
      throw err;
    }
  }

  /** Its members just left; Kafka may still count them for a moment. */
  private async deleteGroup(group: string): Promise<void> {
    // On the monotonic clock: a wall clock set back would stretch the wait.
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.options.backend.deleteGroup(group);
      } catch (err) {
        const delay = backoffDelay(GROUP_SETTLE, attempt);
        if (asTributaryError(err).code !== 'GROUP_NOT_EMPTY' || performance.now() - started + delay > GROUP_SETTLE.max_elapsed_time) throw err;
        await sleep(delay);
      }
    }
  }

  private fail(entry: Entry, err: unknown): void {
    entry.state = 'failed';
    entry.error = asTributaryError(err).message;
    this.logger.error('subscription cannot run', { pipeline: entry.group, error: entry.error });
  }

  private entry(group: string): Entry {
    const entry = this.entries.get(group);
    if (!entry) throw new TributaryError('UNKNOWN_PIPELINE', `there is no pipeline of group "${group}"`, { details: { group } });
    return entry;
  }

  /** An API-created pipeline; a config one changes only in the config file. */
  private changeable(group: string): Entry {
    const entry = this.entry(group);
    if (entry.source === 'config') {
      throw new TributaryError('PIPELINE_READ_ONLY', `pipeline ${group} is in the config file: change it there and restart`, { details: { group } });
    }
    return entry;
  }

  private runningHere(): Pipelines {
    const { pipelines } = this.options;
    if (!pipelines) throw new TributaryError('NO_PIPELINES_HERE', 'this process runs no pipelines (--role ingest): subscribe on a process started with --role sinks or all');
    return pipelines;
  }

  private save(): void {
    const stored = [...this.entries.values()].flatMap((e) => (e.source === 'api' && e.stored ? [{ ...e.stored, paused: e.state === 'paused' }] : []));
    this.store.save([...stored, ...this.shadowed]);
  }

  private async view(entry: Entry): Promise<PipelineView> {
    const settings = entry.pipeline ?? entry.stored?.pipeline ?? {};
    const { sink, ...rest } = settings as Partial<PipelineConfig>;
    const deadLetter = entry.pipeline?.dead_letter.enabled ? { dead_letter: { ...entry.pipeline.dead_letter, topic: deadLetterTopicOf(entry.pipeline) } } : {};
    return {
      ...rest,
      // Shown filled in, not stored so: a later groups.assignor still applies.
      ...(entry.pipeline ? { assignor: entry.pipeline.assignor ?? this.options.config.groups.assignor } : {}),
      ...deadLetter,
      group: entry.group,
      sink: redactSecrets(sink),
      ...(entry.stored?.start === undefined ? {} : { start: entry.stored.start }),
      source: entry.source,
      state: entry.state,
      ...(entry.error ? { error: entry.error } : {}),
      lag: await this.lagOf(entry.group),
      ...(entry.stored ? { createdAt: entry.stored.createdAt } : {}),
    };
  }

  private async lagOf(group: string): Promise<number | null> {
    try {
      const described = await this.options.backend.describeGroup(group);
      return described.partitions.some((p) => p.lag !== null) ? described.totalLag : null;
    } catch {
      return null;
    }
  }

  private serially<T>(change: () => Promise<T>): Promise<T> {
    const next = this.changes.then(change);
    this.changes = next.catch(() => undefined);
    return next;
  }
}
