// Runs on: the thread of its consumer (a sink worker for pipelines; the main thread for tools and tests).
import { TributaryError } from '../errors.js';
import type { ConsumedRecord, TopicPartition } from '../log/types.js';
import type { Logger } from '../telemetry/logger.js';
import { topicPartitionKey } from './assignors/assignor.js';
import type { GroupLogView } from './group-log-view.js';
import type { ConsumerOptions, PartitionOffset } from './types.js';

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

/**
 * How long a parked fetch waits at the leader; one that comes back empty is parked again by the
 * next poll. Records arriving answer it at once, so this only sets what an idle partition costs:
 * at 500 ms, 100 idle subscriptions on two topics kept the gateway at 14 % of a core.
 */
const PARK_MS = 5_000;

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
 * A group member's reading of the partitions it owns: each one's position and what poll returned
 * of it, the records fetched past a poll's share and the fetches left waiting at leaders. The
 * consumer (GroupConsumer) owns membership; this owns what is read.
 */
export class PartitionFetches {
  /** Next offset to fetch, per owned partition. */
  private readonly positions = new Map<string, number>();
  /** Offset after the last record poll returned, per owned partition: what commit() commits. */
  private readonly consumed = new Map<string, PartitionOffset>();
  /** Records fetched past a poll's maxRecords, served by the next poll instead of fetched again. */
  private readonly buffered = new Map<string, PartitionFetch>();
  /** Long polls waiting at the leaders of partitions that had nothing to read. */
  private readonly parked = new Map<string, ParkedFetch>();
  /** A parked fetch was answered since the last pass over the partitions began. */
  private answered = false;
  private firstPartition = 0;
  /** Key and value bytes per record over the last poll that returned any: sizes fetch budgets. */
  private recordBytes = 0;

  /** `onAnswer`: called when a parked fetch is answered (records arrived, or its wait ran out). */
  constructor(
    private readonly log: ConsumerLogView,
    private readonly logger: Logger,
    private readonly settings: Pick<ConsumerOptions, 'group' | 'autoOffsetReset'>,
    private readonly onAnswer: () => void,
  ) {}

  /** A parked fetch was answered since the last pass began: the next pass may find records. */
  get parkedAnswered(): boolean {
    return this.answered;
  }

  /** Where the partitions start: their committed offsets, else auto_offset_reset; answers the positions set by the latter. */
  async start(owned: readonly TopicPartition[], committed: readonly PartitionOffset[]): Promise<PartitionOffset[]> {
    for (const c of committed) this.positions.set(topicPartitionKey(c), c.offset);
    const reset: PartitionOffset[] = [];
    for (const tp of owned) {
      const key = topicPartitionKey(tp);
      if (this.positions.has(key)) continue;
      await this.resetPosition(tp);
      reset.push({ topic: tp.topic, partition: tp.partition, offset: this.positions.get(key)! });
    }
    return reset;
  }

  /** Offsets after what poll returned: what a commit commits. */
  consumedOffsets(): PartitionOffset[] {
    return [...this.consumed.values()];
  }

  /** Forgets every partition (revoked). */
  clear(): void {
    this.positions.clear();
    this.consumed.clear();
    this.buffered.clear();
    this.parked.clear();
  }

  /** One pass over the owned partitions: up to `maxRecords` records (and about `maxBytes`), or none. */
  async pass(owned: readonly TopicPartition[], maxRecords: number, maxBytes: number, lingerMs: number): Promise<ConsumedRecord[]> {
    this.answered = false;
    if (owned.length === 0) return [];
    const limits: FetchLimits = { maxBytes: this.partitionBudget(owned.length, maxRecords, maxBytes), lingerMs };
    // Partitions whose parked fetch still waits are passed over without a promise each.
    const fetches: Promise<PartitionFetch>[] = [];
    for (const tp of owned) if (!this.waitingAtLeader(tp)) fetches.push(this.fetchPartition(tp, limits));
    const ready = fetches.length > 0 ? await Promise.all(fetches) : [];
    return ready.length > 0 ? this.take(ready, maxRecords, maxBytes, limits) : [];
  }

  /** auto_offset_reset: where a partition with no usable committed offset starts. */
  private async resetPosition(tp: TopicPartition): Promise<void> {
    const info = (await this.log.describeTopic(tp.topic)).partitions[tp.partition];
    const latest = this.settings.autoOffsetReset === 'latest';
    this.positions.set(topicPartitionKey(tp), latest ? info.highWatermark : info.logStartOffset);
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
      if (parked.from === from && parked.result) {
        if (parked.result.error || (parked.result.records?.length ?? 0) > 0) return parked.result;
        // Its wait ran out with nothing past `from`: waiting again is one request, not a fetch and then one.
        this.park(key, tp, from, limits);
        return { tp, from, records: [] };
      }
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
      this.answered = true;
      this.onAnswer();
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
        this.logger.warn('committed position is out of range; resetting', {
          group: this.settings.group,
          ...f.tp,
          offset: f.from,
          reset: this.settings.autoOffsetReset ?? 'earliest',
        });
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
}
