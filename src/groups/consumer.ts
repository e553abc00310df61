// Runs on: main thread (the coordinator's consumers) and sink workers (pipeline members).
import { TributaryError } from '../errors.js';
import type { ConsumedRecord, TopicPartition } from '../log/types.js';
import type { Logger } from '../telemetry/logger.js';
import { topicPartitionKey } from './assignors/assignor.js';
import type { GroupLogView } from './coordinator.js';
import type { GroupProtocol } from './protocol.js';
import type { AssignorName, Consumer, ConsumerOptions, PartitionOffset, PollOptions, RebalanceListener } from './types.js';

export interface ConsumerSettings extends ConsumerOptions {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  assignor: AssignorName;
}

interface PartitionFetch {
  tp: TopicPartition;
  from: number;
  records?: ConsumedRecord[];
  /** The partition's high watermark when it was fetched: records up to it mean the partition was read to its end. */
  highWatermark?: number;
  /** Where in `records` this fetch's records begin (a remainder kept from an earlier poll). */
  start?: number;
  error?: unknown;
}

/**
 * A fetch left waiting at a partition's leader (a long poll) while the partition had nothing
 * past `from`: the leader answers it when records arrived (and lingered, see PollOptions), or
 * after PARK_MS, and the answer is kept here for the next poll. Until then polls read nothing of
 * the partition and send nothing for it, so the idle partitions of a busy member's topics cost it
 * no message per poll, and a busy partition read to its end costs one fetch per linger.
 */
interface ParkedFetch {
  from: number;
  result?: PartitionFetch;
}

/** How long a parked fetch waits at the leader; one that comes back empty is parked again by the next poll. */
const PARK_MS = 500;

/** What each partition's fetches in one poll may ask for: a budget in bytes and, when parked, a linger. */
interface FetchLimits {
  maxBytes: number;
  lingerMs: number;
}

const MIN_PARTITION_BYTES = 64 * 1024;
/** The smallest per-partition budget that an estimate from record sizes may set. */
const MIN_ESTIMATED_BYTES = 4 * 1024;
/** A record's bytes in its batch beyond its key and value (length, deltas, headers), as a guess for budgets. */
const RECORD_OVERHEAD_BYTES = 64;

/**
 * What a consumer reads the log through: the backend itself, or a sink worker's own reader, which
 * takes released records' memory back (see Consumer.release).
 */
export type ConsumerLogView = Pick<GroupLogView, 'describeTopic' | 'fetch'> & { release?(records: readonly ConsumedRecord[]): void };

/**
 * Runs on: the thread of its caller (a sink worker for pipelines; the main thread for tools and tests).
 *
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
  /** Next offset to fetch, per owned partition. */
  private readonly positions = new Map<string, number>();
  /** Offset after the last record poll returned, per owned partition: what commit() commits. */
  private readonly consumed = new Map<string, PartitionOffset>();
  /** Records fetched past a poll's maxRecords, served by the next poll instead of fetched again. */
  private readonly buffered = new Map<string, PartitionFetch>();
  /** Long polls waiting at the leaders of partitions that had nothing to read. */
  private readonly parked = new Map<string, ParkedFetch>();
  private rejoinNeeded = false;
  private joining = false;
  private polling = false;
  private closing = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private wakeup: (() => void) | undefined;
  /** A parked fetch was answered since the last pass over the partitions began. */
  private parkedAnswered = false;
  private firstPartition = 0;
  /** Key and value bytes per record over the last poll that returned any: sizes fetch budgets. */
  private recordBytes = 0;

  constructor(
    private readonly protocol: GroupProtocol,
    private readonly log: ConsumerLogView,
    private readonly logger: Logger,
    private readonly settings: ConsumerSettings,
  ) {
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
    const deadline = Date.now() + maxWaitMs;
    this.polling = true;
    try {
      for (;;) {
        if (this.rejoinNeeded && !this.closing) await this.rejoin();
        const records = await this.fetchOnce(maxRecords, maxBytes, lingerMs, Math.max(0, deadline - Date.now()));
        if (records.length > 0 || Date.now() >= deadline || this.closing) return records;
      }
    } finally {
      this.polling = false;
    }
  }

  async commit(offsets?: PartitionOffset[]): Promise<void> {
    const list = offsets ?? [...this.consumed.values()];
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
    this.positions.clear();
    this.consumed.clear();
    this.buffered.clear();
    this.parked.clear();
  }

  private async callListener(listener: RebalanceListener | undefined, partitions: TopicPartition[], name: string): Promise<void> {
    try {
      await listener?.([...partitions]);
    } catch (err) {
      this.logger.error(`${name} listener failed`, { group: this.group, err });
    }
  }

  private async initPositions(): Promise<void> {
    for (const c of await this.protocol.fetchOffsets(this.group, this.owned)) this.positions.set(topicPartitionKey(c), c.offset);
    const missing = this.owned.filter((tp) => !this.positions.has(topicPartitionKey(tp)));
    for (const tp of missing) await this.resetPosition(tp);
  }

  /** auto_offset_reset: where a partition with no usable committed offset starts. */
  private async resetPosition(tp: TopicPartition): Promise<void> {
    const info = (await this.log.describeTopic(tp.topic)).partitions[tp.partition];
    const latest = this.settings.autoOffsetReset === 'latest';
    this.positions.set(topicPartitionKey(tp), latest ? info.highWatermark : info.logStartOffset);
  }

  /**
   * One pass over the owned partitions; with `waitMs`, when it found nothing, waits for a record
   * to arrive (a parked fetch answered), a rebalance or the time to pass, and returns nothing:
   * poll() passes over them again.
   */
  private async fetchOnce(maxRecords: number, maxBytes: number, lingerMs: number, waitMs: number): Promise<ConsumedRecord[]> {
    const owned = this.owned;
    this.parkedAnswered = false;
    if (owned.length > 0) {
      const limits: FetchLimits = { maxBytes: this.partitionBudget(owned.length, maxRecords, maxBytes), lingerMs };
      // Partitions whose parked fetch still waits are passed over without a promise each.
      const fetches: Promise<PartitionFetch>[] = [];
      for (const tp of owned) if (!this.waitingAtLeader(tp)) fetches.push(this.fetchPartition(tp, limits));
      const ready = fetches.length > 0 ? await Promise.all(fetches) : [];
      const records = ready.length > 0 ? await this.take(ready, maxRecords, maxBytes, limits) : [];
      if (records.length > 0 || waitMs === 0 || this.rejoinNeeded || this.parkedAnswered) return records;
    }
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
   * Bytes to fetch from each partition: a share of `maxBytes`, but once record sizes are known no
   * more than about `maxRecords` records' worth in all. Records decoded past what a poll takes
   * wait in `buffered` for later polls; small records by the thousand, held that long, outlive the
   * young generation and cost the garbage collector more than the decoding. The batches not
   * fetched wait as bytes in the reader's read-ahead instead.
   */
  private partitionBudget(partitions: number, maxRecords: number, maxBytes: number): number {
    const share = Math.max(MIN_PARTITION_BYTES, Math.floor(maxBytes / partitions));
    if (this.recordBytes === 0) return share;
    const estimate = Math.ceil(maxRecords / partitions) * (this.recordBytes + RECORD_OVERHEAD_BYTES);
    return Math.min(share, Math.max(MIN_ESTIMATED_BYTES, estimate));
  }

  /** The partition has nothing to read but a parked fetch's answer, which has not come yet. */
  private waitingAtLeader(tp: TopicPartition): boolean {
    const key = topicPartitionKey(tp);
    const parked = this.parked.get(key);
    return parked !== undefined && !parked.result && parked.from === this.positions.get(key) && !this.buffered.has(key);
  }

  /**
   * What the partition has past its position: records fetched earlier and not yet taken, a parked
   * fetch's answer, nothing while a parked fetch waits, else a fetch from its leader, after which
   * a partition with nothing to read is parked.
   */
  private async fetchPartition(tp: TopicPartition, limits: FetchLimits): Promise<PartitionFetch> {
    const key = topicPartitionKey(tp);
    const from = this.positions.get(key)!;
    const kept = this.buffered.get(key);
    if (kept?.from === from) return kept;
    const parked = this.parked.get(key);
    if (parked?.from === from && !parked.result) return { tp, from, records: [] };
    if (parked) {
      // Answered, or left behind by a position that moved (a reset): taken once, never waited on again.
      this.parked.delete(key);
      if (parked.from === from && (parked.result?.error || (parked.result?.records?.length ?? 0) > 0)) return parked.result!;
    }
    const fetched = await this.fetchFromLeader(tp, from, { maxBytes: limits.maxBytes, maxWaitMs: 0 });
    if (!fetched.error && fetched.records?.length === 0 && this.positions.get(key) === from) this.park(key, tp, from, limits);
    return fetched;
  }

  private park(key: string, tp: TopicPartition, from: number, limits: FetchLimits): void {
    const parked: ParkedFetch = { from };
    this.parked.set(key, parked);
    void this.fetchFromLeader(tp, from, { ...limits, maxWaitMs: PARK_MS }).then((result) => {
      parked.result = result;
      this.parkedAnswered = true;
      this.wake();
    });
  }

  private async fetchFromLeader(tp: TopicPartition, from: number, wait: { maxBytes: number; maxWaitMs: number; lingerMs?: number }): Promise<PartitionFetch> {
    try {
      const { records, highWatermark } = await this.log.fetch({ topic: tp.topic, partition: tp.partition, offset: from, ...wait });
      return { tp, from, records, highWatermark };
    } catch (error) {
      return { tp, from, error };
    }
  }

  /**
   * Turns fetch results into poll's answer, starting at a rotating partition so none starves;
   * what does not fit is kept for the next poll, and a partition taken to its end is parked at
   * once (its next fetch would find nothing yet). A result is dropped when its partition moved or
   * its position changed since it was fetched.
   */
  private async take(fetches: PartitionFetch[], maxRecords: number, maxBytes: number, limits: FetchLimits): Promise<ConsumedRecord[]> {
    const out: ConsumedRecord[] = [];
    let bytes = 0;
    const start = this.firstPartition++ % fetches.length;
    for (let i = 0; i < fetches.length; i++) {
      const f = fetches[(start + i) % fetches.length];
      const key = topicPartitionKey(f.tp);
      if (this.positions.get(key) !== f.from) continue;
      if (f.error) {
        if (!(f.error instanceof TributaryError && f.error.code === 'OFFSET_OUT_OF_RANGE')) throw f.error;
        this.logger.warn('committed position is out of range; resetting', { group: this.group, ...f.tp, offset: f.from, reset: this.settings.autoOffsetReset ?? 'earliest' });
        await this.resetPosition(f.tp);
        continue;
      }
      this.buffered.delete(key);
      const records = f.records!;
      let next = f.from;
      let r = f.start ?? 0;
      for (; r < records.length && out.length < maxRecords && (bytes < maxBytes || out.length === 0); r++) {
        const record = records[r];
        if (record.offset < next) continue;
        out.push(record);
        bytes += Math.max(0, record.valueSize) + Math.max(0, record.keySize);
        next = record.offset + 1;
      }
      if (r < records.length) this.buffered.set(key, { tp: f.tp, from: next, records, start: r });
      if (next > f.from) {
        this.positions.set(key, next);
        this.consumed.set(key, { topic: f.tp.topic, partition: f.tp.partition, offset: next });
        if (r === records.length && next === f.highWatermark) this.park(key, f.tp, next, limits);
      }
    }
    if (out.length > 0) this.recordBytes = Math.ceil(bytes / out.length);
    return out;
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
