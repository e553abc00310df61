// Runs on: broker thread.
import { rmSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { BufferPool } from '../../src/buffer-pool.js';
import { asTributaryError, TributaryError } from '../../src/errors.js';
import {
  type BatchBytes,
  type BrokerMessage,
  type BrokerRequest,
  type BrokerWorkerData,
  fromBatchBytes,
  type OpenedPartition,
  type PartitionAssignment,
  type PartitionStats,
  type ReaderRequest,
  toBatchBytes,
} from '../../src/log/embedded/broker-protocol.js';
import { BatchRingReader } from '../../src/log/embedded/batch-ring.js';
import { MessageBatcher } from '../../src/log/embedded/message-batcher.js';
import { FsyncScheduler } from './fsync-scheduler.js';
import { HostedPartition } from './hosted-partition.js';
import { producerTail } from './producer-tail.js';

/** Fetch memory kept free for reuse; smaller reads are cheap to allocate (and may sit in Node's shared pool, which is never transferred). */
const READ_BUFFERS = { maxFreeBytes: 32 * 1024 * 1024, minPooledBytes: 64 * 1024 };

type Request<K extends BrokerRequest['op']> = Extract<BrokerRequest, { op: K }>;
type Outbox = MessageBatcher<BrokerMessage>;

const READER_OPS = new Set<string>(['fetch', 'offsetForTimestamp', 'recycle'] satisfies ReaderRequest['op'][]);

/**
 * A broker thread: leads the partitions the controller assigns it, appends and serves their
 * batches, and keeps them durable per `log.fsync`. All storage calls are synchronous, so requests
 * are handled one at a time in arrival order; only fsync-always replies and long polls wait.
 * Other threads that read (sink workers) get a port of their own (`attach`), answered the same way.
 */
export class BrokerServer {
  private readonly partitions = new Map<string, HostedPartition[]>();
  private readonly fsync: FsyncScheduler;
  private readonly retentionTimer: NodeJS.Timeout;
  private closed = false;
  private readonly outbox: Outbox;
  private readonly ring: BatchRingReader;
  /** Ports attached by reading threads; closed with the broker, so their side learns it is gone. */
  private readonly readers = new Set<MessagePort>();
  /**
   * The memory fetches are read into, reused. A fetch's bytes cross to the reading thread as a
   * transferred ArrayBuffer, which hands it back once done (the `recycle` request: the Kafka
   * listener once written to its socket, a sink worker once its records are delivered). Without
   * it, each fetch cost a fresh allocation here (page faults included) and, on the reading thread,
   * a foreign ArrayBuffer that V8 counts as external memory: a consumer reading a few MB per
   * second made it run a full mark-compact every few MB. Buffers that never come back are collected.
   */
  private readonly readBuffers = new BufferPool(READ_BUFFERS);
  private readonly changes: Int32Array;

  constructor(
    port: MessagePort,
    private readonly data: BrokerWorkerData,
  ) {
    const { settings } = data;
    this.ring = new BatchRingReader(data.ring);
    this.changes = new Int32Array(data.changes);
    this.fsync = new FsyncScheduler(settings.fsync, settings.fsyncIntervalMs, () => this.all(), (err) =>
      this.log('error', 'periodic flush failed', { error: asTributaryError(err).message }),
    );
    this.retentionTimer = setInterval(() => this.enforceRetention(), Math.max(1, settings.retentionCheckIntervalMs));
    this.outbox = new MessageBatcher((messages, transfer) => port.postMessage(messages, transfer));
    port.on('message', (requests: BrokerRequest[]) => {
      for (const req of requests) this.handle(req);
    });
  }

  private handle(req: BrokerRequest, outbox: Outbox = this.outbox): void {
    if (req.op === 'recycle') {
      this.readBuffers.adopt(req.buffer);
      return;
    }
    try {
      if (this.closed) throw new TributaryError('SHUTTING_DOWN', `broker ${this.data.brokerId} is shutting down`, { retriable: true });
      switch (req.op) {
        case 'produce':
          this.produce(req);
          break;
        case 'fetch':
          this.fetch(req, outbox);
          break;
        case 'attach':
          this.attach(req.port);
          this.reply(req.id, null);
          break;
        case 'close':
          this.close(req);
          break;
        default:
          this.reply(req.id, this.answer(req), outbox);
      }
    } catch (err) {
      this.fail(req.id, err, outbox);
    } finally {
      // Whatever became of it, a ring batch's bytes are written or refused by now.
      if (req.op === 'produce' && 'ring' in req.batch) this.ring.finish();
    }
  }

  /** The requests answered at once, with a value. */
  private answer(req: Exclude<BrokerRequest, { op: 'produce' | 'fetch' | 'recycle' | 'attach' | 'close' }>): unknown {
    switch (req.op) {
      case 'open':
        return this.open(req.partitions);
      case 'dropPartitions':
        this.drop(req.partitions, req.keepDirs);
        return null;
      case 'discardPartitions':
        this.changed();
        this.closePartitions(req.partitions, true);
        return null;
      case 'offsetForTimestamp':
        return this.hosted(req.topic, req.partition).log.offsetForTimestamp(req.timestamp);
      case 'maxTimestamp':
        return this.hosted(req.topic, req.partition).log.maxTimestamp();
      case 'producerTail':
        return producerTail(this.hosted(req.topic, req.partition).log, req.windowBytes, req.maxProducers);
      case 'updateSettings':
        this.hosted(req.topic, req.partition).log.updateSettings(req.settings);
        return null;
      case 'enforceRetention':
        return this.enforceRetention();
      case 'stats':
        return this.stats(req.topic);
    }
  }

  private produce(req: Request<'produce'>): void {
    const hosted = this.hosted(req.topic, req.partition);
    // A batch produce() encoded a moment ago is not CRC-checked twice (its layout still is;
    // recovery still checks CRCs on disk). Anything else is, here rather than on the main thread.
    const slice = req.batch;
    const inRing = 'ring' in slice;
    const batch = inRing ? this.ring.view(slice) : fromBatchBytes(slice);
    const result = hosted.log.append(batch, hosted.leaderEpoch, Date.now(), !inRing || req.verifyCrc);
    hosted.publishOffsets();
    hosted.polls.appended(result.highWatermark, batch.length);
    if (req.acks === 0) return;
    const length = batch.length;
    // Written: a handed-over batch's memory goes back at once, whatever the fsync policy waits for.
    const memory = req.handBack && !inRing ? (slice as BatchBytes).buffer : undefined;
    this.fsync.afterAppend(hosted, (err) => {
      if (err) this.fail(req.id, err);
      // Weighed by the bytes it answers for: a producer's large batches are answered as they land.
      else this.reply(req.id, { baseOffset: result.baseOffset, highWatermark: result.highWatermark, memory }, this.outbox, length, memory && [memory]);
    });
  }

  private fetch(req: Request<'fetch'>, outbox: Outbox): void {
    const hosted = this.hosted(req.topic, req.partition);
    const answer = () => {
      try {
        const read = hosted.log.read(req.offset, req.maxBytes, (size) => this.readBuffers.take(size));
        const { bytes, transfer } = toBatchBytes(read.batches);
        // A few bytes are copied out instead: the buffer read into serves the next fetch.
        if (bytes.buffer !== read.batches.buffer) this.readBuffers.give(read.batches);
        outbox.push({ id: req.id, ok: true, value: { batches: bytes, highWatermark: read.highWatermark, logStartOffset: read.logStartOffset } }, transfer);
      } catch (err) {
        this.fail(req.id, err, outbox);
      }
    };
    if (req.maxWaitMs > 0 && req.offset === hosted.log.highWatermark) hosted.polls.park(req, answer);
    else answer();
  }

  /** A reading thread's own port: its fetches are served as the controller's are, and answered on it. */
  private attach(port: MessagePort): void {
    const outbox: Outbox = new MessageBatcher((messages, transfer) => port.postMessage(messages, transfer));
    this.readers.add(port);
    port.on('close', () => this.readers.delete(port));
    port.on('message', (requests: BrokerRequest[]) => {
      for (const req of requests) {
        if (READER_OPS.has(req.op)) this.handle(req, outbox);
        else this.fail(req.id, new TributaryError('INVALID_REQUEST', `a reader's port serves fetch, offsetForTimestamp and recycle, not ${req.op}`), outbox);
      }
    });
  }

  /**
   * Opens the partitions, all or none: when one fails (no descriptors or disk space left), those
   * opened before it are closed again, so a retry, or the broker's restart, starts from nothing.
   */
  private open(assignments: PartitionAssignment[]): OpenedPartition[] {
    // Recovery may cut a partition's tail: what readers hold from before is not served.
    this.changed();
    const opened: OpenedPartition[] = [];
    try {
      for (const a of assignments) {
        if (this.find(a.topic, a.partition)) continue;
        const hosted = this.openOne(a);
        opened.push({ topic: a.topic, partition: a.partition, recovery: hosted.log.recovery, offsets: hosted.offsets.memory });
      }
    } catch (err) {
      this.closePartitions(opened);
      throw err;
    }
    return opened;
  }

  private openOne(a: PartitionAssignment): HostedPartition {
    const { indexIntervalBytes, maxBatchBytes } = this.data.settings;
    const hosted = HostedPartition.open(a, { indexIntervalBytes, maxBatchBytes });
    // What recovery validated reaches the disk while the partition already serves.
    if (hosted.unflushed) {
      hosted.flushInBackground((err) => {
        if (err) this.log('error', 'flushing a recovered partition failed', { topic: a.topic, partition: a.partition, error: asTributaryError(err).message });
      });
    }
    const list = this.partitions.get(a.topic) ?? [];
    this.partitions.set(a.topic, list);
    list[a.partition] = hosted;
    return hosted;
  }

  /** Closes partitions and forgets them; a close that fails is logged (its files are released anyway). */
  /** `discard`: their topic is deleted, so what they hold is not synced first (thousands of fdatasyncs for a topic being written). */
  private closePartitions(partitions: readonly { topic: string; partition: number }[], discard = false): void {
    for (const { topic, partition } of partitions) {
      const hosted = this.find(topic, partition);
      if (!hosted) continue;
      hosted.polls.release();
      delete this.partitions.get(topic)![partition];
      try {
        if (discard) hosted.log.discard();
        else hosted.log.close();
      } catch (err) {
        this.log('error', 'closing a partition failed', { topic, partition, error: asTributaryError(err).message });
      }
    }
  }

  private drop(partitions: PartitionAssignment[], keepDirs: readonly string[]): void {
    this.changed();
    this.closePartitions(partitions);
    for (const { dir } of partitions) if (!keepDirs.includes(dir)) rmSync(dir, { recursive: true, force: true });
  }

  private enforceRetention(): PartitionStats[] {
    const now = Date.now();
    for (const hosted of this.all()) {
      try {
        if (hosted.log.enforceRetention(now).segmentsDeleted > 0) {
          hosted.publishOffsets();
          this.changed();
        }
      } catch (err) {
        this.log('error', 'retention failed', { topic: hosted.topic, partition: hosted.partition, error: asTributaryError(err).message });
      }
    }
    return this.stats();
  }

  /** Tells the reading threads that batches they hold may be gone from the log (see BrokerWorkerData.changes). */
  private changed(): void {
    Atomics.add(this.changes, 0, 1);
  }

  private stats(topic?: string): PartitionStats[] {
    const hosted = topic === undefined ? [...this.all()] : (this.partitions.get(topic) ?? []).filter(Boolean);
    return hosted.map((h) => h.stats());
  }

  /** Flushes and closes every partition; parked fetches get what there is (nothing). */
  private close(req: Request<'close'>): void {
    this.closed = true;
    clearInterval(this.retentionTimer);
    for (const hosted of this.all()) hosted.polls.release();
    for (const port of this.readers) port.close();
    this.fsync.close();
    // Every partition is closed even when one fails: its files are released either way.
    this.closePartitions([...this.all()]);
    this.partitions.clear();
    this.reply(req.id, null);
  }

  private find(topic: string, partition: number): HostedPartition | undefined {
    return this.partitions.get(topic)?.[partition];
  }

  private hosted(topic: string, partition: number): HostedPartition {
    const found = this.find(topic, partition);
    if (!found) {
      throw new TributaryError('NOT_LEADER', `broker ${this.data.brokerId} does not lead ${topic}-${partition}`, { retriable: true });
    }
    return found;
  }

  private *all(): Iterable<HostedPartition> {
    for (const list of this.partitions.values()) for (const hosted of list) if (hosted) yield hosted;
  }

  private reply(id: number, value: unknown, outbox: Outbox = this.outbox, bytes = 0, transfer?: ArrayBuffer[]): void {
    if (id > 0) outbox.push({ id, ok: true, value }, transfer, bytes);
  }

  private fail(id: number, err: unknown, outbox: Outbox = this.outbox): void {
    const error = asTributaryError(err).toJSON();
    if (id > 0) outbox.push({ id, ok: false, error });
    else this.log('warn', 'a produce with acks 0 failed', { error });
  }

  private log(level: 'warn' | 'error', message: string, fields: Record<string, unknown>): void {
    this.outbox.push({ id: 0, log: level, message, fields });
  }
}

export function startBrokerServer(port: MessagePort, data: BrokerWorkerData): BrokerServer {
  return new BrokerServer(port, data);
}
