/**
 * Runs on: main thread (the embedded backend's fetch) and sink workers (their own reader).
 *
 * A fetch as a reader sees it: from the read-ahead when the batches were read already, else from
 * the partition's leader; then decoded into records on the reader's own thread.
 */
import { decodeRecordBatches } from '../record-batch.js';
import type { ConsumedRecord, FetchRequest, FetchResult } from '../types.js';
import type { FetchReply } from './broker-protocol.js';
import { fromBatchBytes } from './broker-protocol.js';
import { type FetchedBatches, ReadAhead } from './read-ahead.js';

const DEFAULT_FETCH_BYTES = 1024 * 1024;

/** A fetch asked of a partition's leader broker, with the budget the read-ahead chose. */
type LeaderFetch = (request: { topic: string; partition: number; offset: number; maxBytes: number; maxWaitMs: number; lingerMs: number }) => Promise<FetchReply>;

/** Hands a fetched ArrayBuffer back to the partition's leader, to read later fetches into. */
type GiveBack = (topic: string, partition: number, buffer: ArrayBuffer) => void;

/** What a reader knows of its brokers beyond fetching. */
export interface LeaderLink {
  /** The brokers' change counts added up (see BrokerWorkerData.changes): held batches from before a change are not served. */
  changes: () => number;
  /** Hands a fetched ArrayBuffer back to the partition's leader, to read later fetches into. */
  giveBack: GiveBack;
  /**
   * Reads the next window as soon as a fetch is served (the main thread: a Kafka client sends its
   * next Fetch on receiving the last); a sink worker's member polls when its sink is done instead.
   */
  readNext?: boolean;
}

export class FetchReader {
  private readonly readAhead: ReadAhead;
  /** The ArrayBuffers fetchBatches handed out whole (nothing else holds them), with their partition. */
  private readonly lent = new WeakMap<ArrayBuffer, { topic: string; partition: number }>();
  /** How many bytes each leader's answer held, by its ArrayBuffer: served all at once, it may be lent. */
  private readonly answered = new WeakMap<ArrayBuffer, number>();
  /** Records decoded from a lent ArrayBuffer and not released yet: at none, it goes back (see release). */
  private readonly unreleased = new WeakMap<ArrayBuffer, number>();

  constructor(
    private readonly fromLeader: LeaderFetch,
    /** Told how many records each fetch returned, per topic (the fetch counter of /metrics). */
    private readonly counted: (topic: string, records: number) => void,
    private readonly link: LeaderLink,
  ) {
    this.readAhead = new ReadAhead({
      changes: link.changes,
      read: link.readNext ? (topic, partition, offset, maxBytes) => this.leaderFetch({ topic, partition, offset, maxBytes, maxWaitMs: 0, lingerMs: 0 }) : undefined,
    });
  }

  /**
   * Whole record batches as stored, from the one that holds `offset` on (at least one, whatever
   * the budget). The request is checked by the caller (partition exists, offset and budget valid).
   */
  async fetchBatches(request: FetchRequest): Promise<FetchedBatches> {
    const { topic, partition, offset, maxBytes = DEFAULT_FETCH_BYTES } = request;
    await this.readAhead.reading(topic, partition, offset);
    const fetched = this.readAhead.take(topic, partition, offset, maxBytes) ?? (await this.fromLeaderKept(request));
    // Served whole, nothing of it held for the next fetch: the caller may hand it back (recycle).
    const buffer = fetched.batches.buffer as ArrayBuffer;
    if (this.answered.get(buffer) === fetched.batches.length) {
      this.answered.delete(buffer);
      this.lent.set(buffer, { topic, partition });
    }
    this.readAhead.readNext(topic, partition, fetched, maxBytes);
    return fetched;
  }

  /** Asks the leader (a whole read-ahead window when the reader goes on where it stopped); the rest is held. */
  private async fromLeaderKept(request: FetchRequest): Promise<FetchedBatches> {
    const { topic, partition, offset, maxBytes = DEFAULT_FETCH_BYTES, maxWaitMs = 0, lingerMs = 0 } = request;
    const budget = this.readAhead.budget(topic, partition, offset, maxBytes);
    const since = this.link.changes();
    const reply = await this.leaderFetch({ topic, partition, offset, maxBytes: budget, maxWaitMs, lingerMs });
    return this.readAhead.keep(topic, partition, offset, maxBytes, reply, since);
  }

  private async leaderFetch(request: Parameters<LeaderFetch>[0]): Promise<FetchedBatches> {
    const reply = await this.fromLeader(request);
    const batches = fromBatchBytes(reply.batches);
    if (batches.byteOffset === 0) this.answered.set(batches.buffer as ArrayBuffer, batches.length);
    return { ...reply, batches };
  }

  /**
   * The caller is done with `batches` from fetchBatches (written to a socket, or not wanted): when
   * they were handed out whole, their memory goes back to the broker, which reads into it again.
   * Nothing may read `batches`, or a view of the same memory, afterwards.
   */
  recycle(batches: Buffer): void {
    const buffer = batches.buffer as ArrayBuffer;
    const lent = this.lent.get(buffer);
    if (!lent) return;
    this.lent.delete(buffer);
    this.link.giveBack(lent.topic, lent.partition, buffer);
  }

  /**
   * The caller of fetch is done with these records: once every record decoded from a lent
   * ArrayBuffer is released, the buffer goes back to its broker (recycle). A record must be
   * released once at most; one never released only keeps its buffer from being reused.
   */
  release(records: readonly ConsumedRecord[]): void {
    // Records come in runs from one fetch: one look-up per run.
    let buffer: ArrayBufferLike | undefined;
    let run = 0;
    for (const r of records) {
      const from = r.valueBytes.buffer;
      if (from !== buffer) {
        this.released(buffer, run);
        buffer = from;
        run = 0;
      }
      run++;
    }
    this.released(buffer, run);
  }

  private released(buffer: ArrayBufferLike | undefined, count: number): void {
    const left = buffer && this.unreleased.get(buffer as ArrayBuffer);
    if (left === undefined || !buffer) return;
    if (left > count) {
      this.unreleased.set(buffer as ArrayBuffer, left - count);
      return;
    }
    this.unreleased.delete(buffer as ArrayBuffer);
    this.recycle(Buffer.from(buffer));
  }

  /** The records of fetchBatches, decoded on this thread. */
  async fetch(request: FetchRequest): Promise<FetchResult> {
    const { topic, partition, offset } = request;
    const fetched = await this.fetchBatches(request);
    const records = decodeRecordBatches(fetched.batches, topic, partition, offset);
    if (records.length > 0) this.counted(topic, records.length);
    const buffer = fetched.batches.buffer as ArrayBuffer;
    if (this.lent.has(buffer)) {
      // Records of compressed batches point into their inflated bytes instead.
      let pointing = 0;
      for (const r of records) if (r.valueBytes.buffer === buffer) pointing++;
      if (pointing === 0) this.recycle(fetched.batches);
      else this.unreleased.set(buffer, pointing);
    }
    return {
      records,
      highWatermark: fetched.highWatermark,
      logStartOffset: fetched.logStartOffset,
      nextOffset: records.length > 0 ? records[records.length - 1].offset + 1 : offset,
    };
  }
}
