// Runs on: main thread (the coordinator's consumers) and sink workers (pipeline members).
import { TributaryError } from '../errors.js';
import type { ConsumedRecord, TopicPartition } from '../log/types.js';
import type { Logger } from '../telemetry/logger.js';
import { type ConsumerLogView, PartitionFetches } from './partition-fetches.js';
import type { GroupProtocol } from './protocol.js';
import type { AssignorName, Consumer, ConsumerOptions, PartitionOffset, PollOptions, RebalanceListener } from './types.js';

export interface ConsumerSettings extends ConsumerOptions {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  assignor: AssignorName;
}

/**
 * The consumer client of a group, for sink runners. As in Kafka, rebalances happen
 * inside poll(): when the coordinator announces one (in-process call, or a heartbeat answer), the
 * next poll (or a long poll in progress, which it cuts short) runs onPartitionsRevoked — awaited,
 * so the runner can commit what it finished — rejoins, looks up the committed positions and runs
 * onPartitionsAssigned. Heartbeats run on a timer, apart from poll.
 */
export class GroupConsumer implements Consumer {
  memberId = '';
  generation = -1;
  private topics: string[] = [];
  private owned: TopicPartition[] = [];
  /** Positions in the owned partitions and what was fetched of them. */
  private readonly fetches: PartitionFetches;
  private rejoinNeeded = false;
  private joining = false;
  private polling = false;
  private closing = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private wakeup: (() => void) | undefined;

  constructor(
    private readonly protocol: GroupProtocol,
    private readonly log: ConsumerLogView,
    private readonly logger: Logger,
    private readonly settings: ConsumerSettings,
  ) {
    this.fetches = new PartitionFetches(log, logger, settings, () => this.wake());
    if (settings.topics) this.subscribe(settings.topics);
  }

  get group(): string {
    return this.settings.group;
  }

  assignment(): TopicPartition[] {
    return [...this.owned];
  }

  subscribe(topics: string[]): void {
    if (topics.length === 0) throw new TributaryError('INVALID_REQUEST', 'subscribe to at least one topic');
    this.topics = [...new Set(topics)];
    this.requestRejoin();
  }

  async poll(options: PollOptions = {}): Promise<ConsumedRecord[]> {
    this.checkOpen();
    if (this.topics.length === 0) throw new TributaryError('INVALID_REQUEST', 'subscribe to topics before polling');
    if (this.polling) throw new TributaryError('INVALID_REQUEST', 'poll is already running on this consumer; a consumer is not shared between loops');
    const { maxRecords = 500, maxBytes = 1024 * 1024, maxWaitMs = 0, lingerMs = 0 } = options;
    if (!(Number.isInteger(maxRecords) && maxRecords >= 1 && maxBytes >= 1 && maxWaitMs >= 0 && lingerMs >= 0)) {
      throw new TributaryError(
        'INVALID_REQUEST',
        `poll needs maxRecords and maxBytes of at least 1, maxWaitMs and lingerMs of at least 0 (got ${maxRecords}, ${maxBytes}, ${maxWaitMs}, ${lingerMs})`,
      );
    }
    // An interval: on the monotonic clock, which the wall clock being set back does not stretch.
    const deadline = performance.now() + maxWaitMs;
    this.polling = true;
    try {
      for (;;) {
        if (this.rejoinNeeded && !this.closing) await this.rejoin();
        const records = await this.fetchOnce(maxRecords, maxBytes, lingerMs, Math.max(0, deadline - performance.now()));
        if (records.length > 0 || performance.now() >= deadline || this.closing) return records;
      }
    } finally {
      this.polling = false;
    }
  }

  async commit(offsets?: PartitionOffset[]): Promise<void> {
    const list = offsets ?? this.fetches.consumedOffsets();
    if (list.length === 0) return;
    try {
      await this.protocol.commitOffsets(this.group, list, { memberId: this.memberId, generation: this.generation });
    } catch (err) {
      this.onMembershipError(err, this.memberId);
      throw err;
    }
  }

  release(records: readonly ConsumedRecord[]): void {
    this.log.release?.(records);
  }

  async close(options: { leaveGroup?: boolean } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.heartbeatTimer);
    if ((options.leaveGroup ?? true) && this.memberId !== '') {
      await this.revoke();
      await this.protocol.leaveGroup(this.group, this.memberId).catch((err) => this.logger.warn('leaving the group failed', { group: this.group, err }));
    }
    this.wake();
  }

  private async rejoin(): Promise<void> {
    this.rejoinNeeded = false;
    this.joining = true;
    try {
      await this.revoke();
      const request = {
        group: this.group,
        clientId: this.settings.clientId ?? 'tributary',
        topics: this.topics,
        sessionTimeoutMs: this.settings.sessionTimeoutMs,
        rebalanceTimeoutMs: this.settings.rebalanceTimeoutMs,
        assignor: this.settings.assignor,
        onRebalance: () => this.requestRejoin(),
      };
      const result = await this.protocol.joinGroup({ ...request, memberId: this.memberId }).catch((err) => {
        // Removed from the group (session timeout): join as a new member, unless closing.
        if (!(err instanceof TributaryError && err.code === 'UNKNOWN_MEMBER') || this.closing) throw err;
        return this.protocol.joinGroup({ ...request, memberId: '' });
      });
      this.memberId = result.memberId;
      this.generation = result.generation;
      this.owned = result.assignment;
      await this.initPositions();
      this.heartbeatTimer ??= setInterval(() => this.heartbeat(), this.settings.heartbeatIntervalMs).unref();
      await this.callListener(this.settings.onPartitionsAssigned, this.owned, 'onPartitionsAssigned');
    } catch (err) {
      this.rejoinNeeded = true;
      throw err;
    } finally {
      this.joining = false;
    }
  }

  /** Gives up every partition; the listener may still commit, as the member is in its generation. */
  private async revoke(): Promise<void> {
    if (this.owned.length > 0 && this.memberId !== '') await this.callListener(this.settings.onPartitionsRevoked, this.owned, 'onPartitionsRevoked');
    else if (this.owned.length > 0) this.logger.warn('partitions lost: this member was removed from the group', { group: this.group, partitions: this.owned.length });
    this.owned = [];
    this.fetches.clear();
  }

  private async callListener(listener: RebalanceListener | undefined, partitions: TopicPartition[], name: string): Promise<void> {
    try {
      await listener?.([...partitions]);
    } catch (err) {
      this.logger.error(`${name} listener failed`, { group: this.group, err });
    }
  }

  /**
   * Positions from the committed offsets, else auto_offset_reset; with commitStartPosition, the
   * latter are committed. A commit that fails is only logged: the member reads on from the
   * positions it holds, and its first delivery commits past them.
   */
  private async initPositions(): Promise<void> {
    const reset = await this.fetches.start(this.owned, await this.protocol.fetchOffsets(this.group, this.owned));
    if (!this.settings.commitStartPosition || reset.length === 0) return;
    await this.commit(reset).catch((err) => this.logger.warn('could not commit where the group starts reading', { group: this.group, partitions: reset.length, err }));
  }

  /**
   * One pass over the owned partitions; with `waitMs`, when it found nothing, waits for a record
   * to arrive (a parked fetch answered), a rebalance or the time to pass, and returns nothing:
   * poll() passes over them again.
   */
  private async fetchOnce(maxRecords: number, maxBytes: number, lingerMs: number, waitMs: number): Promise<ConsumedRecord[]> {
    const records = await this.fetches.pass(this.owned, maxRecords, maxBytes, lingerMs);
    if (records.length > 0 || waitMs === 0 || this.rejoinNeeded || this.fetches.parkedAnswered) return records;
    const woken = new Promise<void>((resolve) => {
      this.wakeup = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    try {
      // Not a race over the parked fetches: each wait would add a reaction to every one of them.
      await Promise.race([woken, timedOut]);
      return [];
    } finally {
      clearTimeout(timer);
      this.wakeup = undefined;
    }
  }

  /**
   * Heartbeats go on during a rejoin too, so a slow onPartitionsRevoked does not outlive the
   * session; answers that a rejoin in progress (or done since) already handles are ignored.
   */
  private heartbeat(): void {
    const { memberId, generation } = this;
    if (this.closing || memberId === '') return;
    this.protocol.heartbeat(this.group, memberId, generation).catch((err) => {
      if (this.joining || memberId !== this.memberId || generation !== this.generation) return;
      if (err instanceof TributaryError && err.code === 'REBALANCE_IN_PROGRESS') this.requestRejoin();
      else if (err instanceof TributaryError && err.code === 'SHUTTING_DOWN') clearInterval(this.heartbeatTimer);
      else if (!this.onMembershipError(err, memberId)) this.logger.warn('heartbeat failed', { group: this.group, err });
    });
  }

  /** Handles UNKNOWN_MEMBER and ILLEGAL_GENERATION by rejoining; false for any other error. */
  private onMembershipError(err: unknown, memberId: string): boolean {
    if (!(err instanceof TributaryError)) return false;
    if (err.code === 'UNKNOWN_MEMBER' && memberId === this.memberId) {
      this.memberId = '';
      this.generation = -1;
    } else if (err.code !== 'ILLEGAL_GENERATION') return false;
    this.requestRejoin();
    return true;
  }

  private requestRejoin(): void {
    this.rejoinNeeded = true;
    this.wake();
  }

  private wake(): void {
    this.wakeup?.();
  }

  private checkOpen(): void {
    if (this.closing) throw new TributaryError('SHUTTING_DOWN', `the consumer of group ${this.group} is closed`);
  }
}
